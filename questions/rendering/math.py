"""LaTeX in Markdown, rendered to MathML when the text is saved: `$...$` inline, `$$...$$`
display. Every current browser draws MathML without JavaScript, and the result goes through
the same nh3 allow-list as the rest (only presentation MathML; see `sanitize`).

Dollar signs follow Pandoc's rules, so prose keeps its prices: an opening `$` has a non-space
after it, a closing `$` a non-space before it and no digit after it, and inline math stays on
one line ("costs $5 or $10" is text). `\\$` is a literal dollar. Code spans and code blocks are
never math. A formula that cannot be read is shown as code, marked `math-error`, and the
authoring preview lists it (`problems`).

Hostile input stays cheap: each match scans only to the next `$`, formulas are bounded in
length, number and total size per text, and the converter's own failures (including deep
nesting) are caught.
"""

from __future__ import annotations

import re
from html import escape

from latex2mathml.converter import convert
from markdown.inlinepatterns import InlineProcessor

MAX_FORMULA_CHARS = 2_000
# Per rendered text; formulas beyond either bound are left as written. Conversion costs about
# 0.07 ms a character, so this keeps a text's formulas under about 0.3 s whatever they hold.
MAX_FORMULAS = 300
MAX_FORMULA_CHARS_PER_TEXT = 4_000

_LONGEST = MAX_FORMULA_CHARS
DISPLAY_PATTERN = rf"(?<![\\$])\$\$(?!\$)([^$]{{1,{_LONGEST}}}?)\$\$"
INLINE_PATTERN = rf"(?<![\\$])\$(?![\s$])([^$\n]{{0,{_LONGEST - 1}}}?[^\s$\\])\$(?![\d$])"
_CODE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`", re.DOTALL)


# Environments and commands latex2mathml draws wrongly, as ones it draws right: `aligned` and
# `gathered` would show their `&` and lose their line breaks; `\arg` would show as text.
_EQUIVALENTS = [
    (re.compile(r"\\(begin|end)\{(?:aligned|gathered|align\*?|gather\*?)\}"), r"\\\1{split}"),
    (re.compile(r"\\arg(?![a-zA-Z])"), r"\\operatorname{arg}"),
]
# A command the converter does not know comes out as its own name in an <mi>.
_UNKNOWN_COMMAND = re.compile(r"<mi>\\([a-zA-Z]+)</mi>")


class MathError(ValueError):
    """A formula the converter could not read."""


def to_mathml(latex: str, *, display: bool) -> str:
    """The formula as a <math> element; MathError when it cannot be read."""
    latex = latex.strip()
    if not latex:
        raise MathError("the formula is empty")
    for pattern, replacement in _EQUIVALENTS:
        latex = pattern.sub(replacement, latex)
    try:
        mathml = convert(latex, display="block" if display else "inline")
    except RecursionError:
        raise MathError("the formula is nested too deeply") from None
    except Exception as exc:
        reason = type(exc).__name__
        # "MissingSuperScriptOrSubscriptError" -> "missing super script or subscript"
        words = re.sub(r"(?<!^)(?=[A-Z])", " ", reason.removesuffix("Error")).lower()
        detail = str(exc).strip()
        raise MathError(f"{words}{': ' + detail[:80] if detail else ''}") from None
    if unknown := _UNKNOWN_COMMAND.search(mathml):
        raise MathError(f"unknown command \\{unknown.group(1)[:40]}")
    return mathml


class _Math(InlineProcessor):
    """One kind of formula ($$ display or $ inline) as stashed MathML, or as code if unreadable."""

    def __init__(self, pattern: str, md, *, display: bool, spent: list[int]):
        super().__init__(pattern, md)
        self.display = display
        self.spent = spent  # [formulas, characters] converted so far in this text

    def handleMatch(self, m, data):
        source = m.group(0)
        formulas, chars = self.spent
        if formulas >= MAX_FORMULAS or chars + len(source) > MAX_FORMULA_CHARS_PER_TEXT:
            return None, None, None
        self.spent[:] = [formulas + 1, chars + len(source)]
        try:
            html = to_mathml(m.group(1), display=self.display)
        except MathError:
            html = f'<code class="math-error">{escape(source)}</code>'
        return self.md.htmlStash.store(html), m.start(0), m.end(0)


def register(md) -> None:
    """Add both formula patterns to `md`: after code spans (so code stays code), before
    backslash escapes and emphasis (so `\\frac` and `a_i * b_j` reach the converter intact)."""
    spent = [0, 0]
    md.ESCAPED_CHARS.append("$")  # \$ is a literal dollar sign
    md.inlinePatterns.register(
        _Math(DISPLAY_PATTERN, md, display=True, spent=spent), "math_display", 186
    )
    md.inlinePatterns.register(
        _Math(INLINE_PATTERN, md, display=False, spent=spent), "math_inline", 185
    )


def problems(text: str) -> list[str]:
    """What the authoring preview says about formulas that cannot be read, one line each."""
    found = []
    prose = _CODE.sub(" ", text)
    display = re.compile(DISPLAY_PATTERN)
    for pattern, is_display in ((display, True), (re.compile(INLINE_PATTERN), False)):
        searched = prose if is_display else display.sub(" ", prose)
        for match in pattern.finditer(searched):
            if len(found) >= 5:
                return found
            try:
                to_mathml(match.group(1), display=is_display)
            except MathError as exc:
                shown = match.group(0) if len(match.group(0)) <= 60 else match.group(0)[:57] + "..."
                found.append(f"The formula {shown} could not be read ({exc}); it is shown as code.")
    return found
