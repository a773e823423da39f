"""Markdown to safe HTML, for every question field, hint, rubric point, choice and note.

Run once when content is saved (stored in `*_html` fields), never per request. Raw HTML in
the Markdown is escaped rather than passed through; nh3 then enforces an allow-list on the
result as a second line of defence (`sanitize`). Code blocks are highlighted by Pygments with
an explicitly named lexer (no guessing, which is slow and can be steered by hostile input).

LaTeX formulas (`$...$`, `$$...$$`) become MathML here too (`math`), so pages need no
JavaScript to show them.

Hostile input must not be slow either: `linear` swaps Python-Markdown's quadratic scans for
linear-time ones with the same output, and lists every bound on input no question needs.
"""

import re
from html import escape

import markdown
from markdown.extensions.codehilite import CodeHiliteExtension
from markdown.preprocessors import Preprocessor

from questions.rendering import math
from questions.rendering.linear import (
    MAX_HIGHLIGHTED_BLOCKS,
    MAX_HIGHLIGHTED_CHARS,
    MAX_NESTING_PER_LINE,
    NestingCap,
    harden,
    should_highlight,
)
from questions.rendering.linear_inline import (
    MAX_DELIMITER_RUN,
    MAX_INLINE_DEPTH,
    MAX_LINK_CHARS,
    MAX_LINK_EVENTS,
)
from questions.rendering.sanitize import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    SAFE_CLASS_RE,
    SAFE_URL_PREFIXES,
    sanitize,
)

# Re-exported so `questions.rendering` stays the one import path. The limits are copies:
# to change one (in a test), patch the module that defines it.
__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "MAX_DELIMITER_RUN",
    "MAX_HIGHLIGHTED_BLOCKS",
    "MAX_HIGHLIGHTED_CHARS",
    "MAX_INLINE_DEPTH",
    "MAX_LINK_CHARS",
    "MAX_LINK_EVENTS",
    "MAX_MARKDOWN_CHARS",
    "MAX_NESTING_PER_LINE",
    "SAFE_CLASS_RE",
    "SAFE_URL_PREFIXES",
    "ListAfterParagraph",
    "NestingCap",
    "render_code",
    "render_markdown",
]

MAX_MARKDOWN_CHARS = 50_000


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


def _markdown(highlight: bool = True) -> markdown.Markdown:
    extensions: list = ["fenced_code", "tables", "sane_lists"]
    if highlight:
        extensions.append(
            CodeHiliteExtension(guess_lang=False, css_class="codehilite", wrapcode=True)
        )
    md = markdown.Markdown(extensions=extensions, output_format="html")
    # Escape raw HTML instead of passing it through: "<b>" in a question shows as text.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    md.preprocessors.register(ListAfterParagraph(md), "list_after_paragraph", 20)
    # The same output in linear time, within the bounds on hostile input (see `linear`).
    harden(md)
    math.register(md)
    return md


def render_code(code: str, language: str) -> str:
    """Highlight a whole code snippet (starter, solution) through the same pipeline."""
    if not code.strip():
        return ""
    if len(code) > MAX_MARKDOWN_CHARS:
        raise ValueError(f"Code longer than {MAX_MARKDOWN_CHARS} characters")
    fence = "````" if "```" in code else "```"
    return _render(f"{fence}{language or 'text'}\n{code.rstrip()}\n{fence}")


def render_markdown(text: str) -> str:
    if len(text) > MAX_MARKDOWN_CHARS:
        raise ValueError(f"Markdown longer than {MAX_MARKDOWN_CHARS} characters")
    return _render(text)


def _render(text: str) -> str:
    try:
        html = _markdown(should_highlight(text)).convert(text)
    except RecursionError:
        # Nested deeper than the stack allows (NestingCap stops the ways we know of): show
        # the text as written rather than an error page.
        html = "".join(f"<p>{escape(part)}</p>" for part in text.split("\n\n") if part.strip())
    return sanitize(html)
