// Keyboard shortcuts for practice, like Anki's: Space/Enter reveal, 1-4 rate, h next hint,
// ? help. Off while typing in a field, so answers can contain those keys. Works across htmx
// swaps because it looks the elements up on every key press.
(function () {
  "use strict";

  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable ||
      (tag === "INPUT" && !/^(checkbox|radio|button|submit)$/i.test(target.type));
  }

  function click(element) {
    if (element && !element.disabled) { element.click(); return true; }
    return false;
  }

  document.addEventListener("keydown", function (event) {
    // In the code editor Esc belongs to the editor (it closes search; Esc then Tab leaves it).
    var inEditor = event.target.closest && event.target.closest(".cm-editor");
    if (event.key === "Escape" && typing(event.target) && !inEditor) { event.target.blur(); return; }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var form = document.querySelector("[data-practice-form]");
    var handled = false;
    if (event.key === "?") {
      var help = document.getElementById("shortcuts");
      if (help) { help.open = !help.open; handled = true; }
    } else if (!form) {
      return;
    } else if ((event.key === " " || event.key === "Enter") && form.dataset.revealed === "false") {
      if (event.target.tagName === "BUTTON" || event.target.tagName === "A" || event.target.tagName === "SUMMARY") return;
      handled = click(form.querySelector("[data-reveal]"));
    } else if (/^[1-4]$/.test(event.key) && form.dataset.revealed === "true") {
      handled = click(form.querySelector('[data-rating="' + event.key + '"]'));
    } else if (event.key === "h") {
      var next = document.querySelector("[data-hint]:not([open])");
      if (next) { next.open = true; handled = true; }
    }
    if (handled) event.preventDefault();
  });
})();
