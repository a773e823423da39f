// The code editor: CodeMirror 6 over every <textarea class="code">, as progressive enhancement.
//
// The textarea stays in the form and holds the code (each change is copied back and announced
// with an "input" event, so autosave, Run/Submit and plain form posts work as before); without
// JavaScript the page is a plain textarea. Highlighting uses class names (tok-*) styled by
// static/css/editor.css for both themes, so no styles are injected inline (strict CSP).
import { closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import { SQLite, sql } from "@codemirror/lang-sql";
import {
  bracketMatching,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
} from "@codemirror/language";
import { highlightSelectionMatches, search, searchKeymap } from "@codemirror/search";
import { Compartment, EditorState } from "@codemirror/state";
import {
  EditorView,
  drawSelection,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";

// CodeMirror adds one <style> element of layout rules; the strict CSP admits it only with the
// page's nonce, which the page puts on this script's tag.
const styleNonce = (document.currentScript && document.currentScript.nonce) || "";

function languageSelect(textarea) {
  const id = textarea.dataset.languageFrom;
  return id ? document.getElementById(id) : null;
}

function languageOf(textarea) {
  // data-language on the textarea, or the value of the <select> it names (authoring form).
  const select = languageSelect(textarea);
  const name = (select && select.value) || textarea.dataset.language || "python";
  return name === "sql" ? sql({ dialect: SQLite }) : python();
}

function mount(textarea) {
  if (textarea.dataset.editor === "on") return;
  textarea.dataset.editor = "on";
  const label = textarea.labels && textarea.labels[0] ? textarea.labels[0].textContent.trim() : "Code";
  const readOnly = textarea.readOnly;
  const rows = Number(textarea.getAttribute("rows")) || 10;

  const wrapper = document.createElement("div");
  // The textarea's rows pick one of three heights (classes, not inline styles: strict CSP).
  wrapper.className = `code-editor ${rows <= 6 ? "code-editor-short" : rows <= 10 ? "code-editor-medium" : "code-editor-tall"}`;
  const hint = document.createElement("p");
  hint.className = "editor-hint muted";
  hint.id = `${textarea.id || "code"}-editor-hint`;
  hint.textContent = readOnly ? "" : "Tab indents, Shift-Tab dedents. To leave the editor with the keyboard, press Esc, then Tab.";

  const language = new Compartment();
  const sync = EditorView.updateListener.of((update) => {
    if (!update.docChanged) return;
    textarea.value = update.state.doc.toString();
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  });

  const view = new EditorView({
    parent: wrapper,
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        history(),
        drawSelection(),
        indentOnInput(),
        indentUnit.of("    "),
        EditorState.tabSize.of(4),
        bracketMatching(),
        closeBrackets(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        search({ top: true }),
        syntaxHighlighting(classHighlighter),
        language.of(languageOf(textarea)),
        keymap.of([
          ...closeBracketsKeymap,
          ...defaultKeymap,
          ...searchKeymap,
          ...historyKeymap,
          indentWithTab,
        ]),
        EditorView.lineWrapping,
        EditorView.cspNonce.of(styleNonce),
        EditorState.readOnly.of(readOnly),
        EditorView.editable.of(!readOnly),
        EditorView.contentAttributes.of({
          "aria-label": label,
          "aria-describedby": hint.id,
          autocapitalize: "off",
          autocorrect: "off",
          spellcheck: "false",
        }),
        sync,
      ],
    }),
  });

  const select = languageSelect(textarea);
  if (select) {
    select.addEventListener("change", () => {
      view.dispatch({ effects: language.reconfigure(languageOf(textarea)) });
    });
  }
  // A form reset or a script that sets the textarea (e.g. "reset to starter") updates the editor.
  textarea.addEventListener("prep:set-code", () => {
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: textarea.value } });
  });
  textarea.classList.add("code-editor-source");
  textarea.setAttribute("tabindex", "-1");
  textarea.setAttribute("aria-hidden", "true");
  textarea.after(wrapper);
  if (hint.textContent) wrapper.after(hint);
  // A label click focuses the editor, as it focused the textarea.
  if (textarea.labels) {
    for (const labelElement of textarea.labels) {
      labelElement.addEventListener("click", (event) => {
        event.preventDefault();
        view.focus();
      });
    }
  }
  textarea.editorView = view;
}

function mountAll(root) {
  const scope = root && root.querySelectorAll ? root : document;
  if (scope.matches && scope.matches("textarea.code")) mount(scope);
  for (const textarea of scope.querySelectorAll("textarea.code")) mount(textarea);
}

document.addEventListener("DOMContentLoaded", () => mountAll(document));
// Content swapped in by htmx (the next practice card, a mock's next question) gets editors too.
document.addEventListener("htmx:load", (event) => mountAll(event.detail && event.detail.elt));
