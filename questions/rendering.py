"""Markdown to safe HTML, for every question field, hint, rubric point, choice and note.

Run once when content is saved (stored in `*_html` fields), never per request. Raw HTML in
the Markdown is escaped rather than passed through; nh3 then enforces an allow-list on the
result as a second line of defence: no scripts, no event handlers, no `hx-*` attributes, links
only to http, https and mailto. Code blocks are highlighted by Pygments with an explicitly
named lexer (no guessing, which is slow and can be steered by hostile input).
"""

import re

import markdown
import nh3
from markdown.extensions.codehilite import CodeHiliteExtension
from markdown.preprocessors import Preprocessor

MAX_MARKDOWN_CHARS = 50_000

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "code": {"class"},
    "div": {"class"},
    "pre": {"class"},
    "span": {"class"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
SAFE_URL_PREFIXES = ("http://", "https://", "mailto:")
# Pygments' short token classes (k, nf, s2, ...) and the wrapper; nothing that could borrow
# the app's own classes (buttons, alerts) to spoof its interface.
SAFE_CLASS_RE = re.compile(r"^(?:codehilite|[a-z]{1,3}[0-9]?|language-[a-z0-9+-]{1,20})$")
_CONTROL_AND_SPACE = re.compile(r"[\x00-\x20\x7f]+")


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    if name == "href":
        normalised = _CONTROL_AND_SPACE.sub("", value).lower()
        return value if normalised.startswith(SAFE_URL_PREFIXES) else None
    if name == "class":
        kept = [c for c in value.split() if SAFE_CLASS_RE.match(c)]
        return " ".join(kept) or None
    return value


_LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)]) +\S")


class ListAfterParagraph(Preprocessor):
    """Start a list even when no blank line separates it from the paragraph above.

    Python-Markdown otherwise folds such a list into the paragraph, unlike CommonMark and
    what authors expect. Runs after fenced code is stashed, so code is never touched.
    """

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        for line in lines:
            previous = out[-1] if out else ""
            if (
                _LIST_ITEM.match(line)
                and previous.strip()
                and not _LIST_ITEM.match(previous)
                and not previous.startswith((" ", "\t"))
            ):
                out.append("")
            out.append(line)
        return out


def _markdown() -> markdown.Markdown:
    md = markdown.Markdown(
        extensions=[
            "fenced_code",
            "tables",
            "sane_lists",
            CodeHiliteExtension(guess_lang=False, css_class="codehilite", wrapcode=True),
        ],
        output_format="html",
    )
    # Escape raw HTML instead of passing it through: "<b>" in a question shows as text.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    md.preprocessors.register(ListAfterParagraph(md), "list_after_paragraph", 20)
    return md


def render_code(code: str, language: str) -> str:
    """Highlight a whole code snippet (starter, solution) through the same pipeline."""
    if not code.strip():
        return ""
    fence = "````" if "```" in code else "```"
    return render_markdown(f"{fence}{language or 'text'}\n{code.rstrip()}\n{fence}")


def render_markdown(text: str) -> str:
    if len(text) > MAX_MARKDOWN_CHARS:
        raise ValueError(f"Markdown longer than {MAX_MARKDOWN_CHARS} characters")
    html = _markdown().convert(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
