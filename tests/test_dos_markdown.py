"""Rendering Markdown cannot be turned into a denial of service.

Python-Markdown rescans the rest of a text for every candidate in several places, so some
inputs were quadratic: 6,000 '[' took 16 s. `questions.rendering` keeps Python-Markdown's
output but finds it in linear time. These tests render every pathological family we know of at
the largest size a user may submit and bound the CPU time; check that the hardened pipeline
renders exactly what the stock one does (random Markdown, and the whole built-in bank); and
check the few deliberate differences, each for input no question needs.
"""

import contextlib
import glob
import re
import signal
import time
from pathlib import Path

import markdown
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown.extensions.codehilite import CodeHiliteExtension

from questions import rendering
from questions.bankfile import MAX_SECTION_CHARS, MAX_TEXT_SECTION_CHARS, parse
from questions.loader import DEFAULT_BANK
from questions.rendering import linear_inline, render_code, render_markdown


def repeat(unit: str):
    return lambda n: (unit * (n // len(unit) + 1))[:n]


def nested(opening: str, middle: str, closing: str):
    def make(n: int) -> str:
        levels = (n - len(middle)) // (len(opening) + len(closing))
        return opening * levels + middle + closing * levels

    return make


# Each took seconds to minutes at these sizes before (measured on the development machine at
# 16,000 characters: '[' over 20 s, '![' 18.7 s, '[`' over 20 s, '<![CDATA[' 7.2 s, ``a` 1.7 s,
# '-\n' 1.5 s, '`a` '*k + '|'*m in a table row 1.1 s; '+ ' * 500 crashed with RecursionError).
FAMILIES = {
    "open brackets": repeat("["),
    "image openers": repeat("!["),
    "bracket paren": repeat("[a]("),
    "bracket open paren": repeat("[("),
    "empty link openers": repeat("[]("),
    "link then open": repeat("[a](("),
    "nested brackets": nested("[", "a", "]"),
    "nested links": nested("[", "a", "](x)"),
    "bracket backtick": repeat("[`"),
    "backtick bracket": repeat("`["),
    "star bracket": repeat("*["),
    "cdata": repeat("<![CDATA["),
    "reference definition brackets": lambda n: "[" * (n - 12) + "]: http://x",
    "unclosed backtick runs": repeat("``a`"),
    "longer closing runs": lambda n: "``" + "`a" * (n // 2),
    "code spans": repeat("`a` "),
    "backtick backslash": repeat("`\\"),
    "setext underlines": repeat("a\n=\n"),
    "dash lines": repeat("-\n"),
    "rules": repeat("---\n"),
    "star rules": repeat("***\n"),
    "paragraph and rule": repeat("a\n---\n"),
    "hash headers": repeat("# a\n"),
    "indented code after rules": repeat("\n---\n    >^"),
    "fences": repeat("```\n"),
    "fenced blocks": repeat("```python\nx\n```\n"),
    "table rows": lambda n: "|a|b|\n|-|-|\n" + repeat("|x|y|\n")(n - 12),
    "table code and pipes": lambda n: "`a` " * (n // 8) + "|" * (n // 2) + "\nx",
    "table row code and pipes": lambda n: "a|b\n-|-\n" + "`a` " * (n // 8) + "|" * (n // 2 - 8),
    "pipes and underscores": repeat("|_"),
    "nested quotes": repeat("> "),
    "quote markers": repeat(">"),
    "nested list markers": repeat("+ "),
    "nested ordered markers": repeat("1. "),
    "tab list markers": repeat("*\t"),
    "list in quote": repeat("+ > "),
    "quote in list": repeat("> + "),
    "alternating emphasis": nested("*_", "a", "_*"),
    "emphasis around links": nested("*[", "a", "](x)*"),
    "links around emphasis": nested("[*", "a", "*](x)"),
    "emphasis words": repeat("*a* "),
    "open emphasis": repeat("*a"),
    "nested emphasis words": lambda n: "*a " * (n // 6) + "a* " * (n // 6),
    "emphasis mix": repeat('**:*~"'),
    "emphasis runs": repeat("*_*_*_*_*_*_*_*_a_*_*_*_*_*_*_*_* "),
    "escapes": repeat("\\* "),
    "entities": repeat("&amp;"),
    "links": repeat("[a](b) "),
    "links in emphasis": repeat("*[a](b)* "),
    "apostrophe links": repeat("[a](http://x/'y) it's "),
    "reference uses": lambda n: "[a]: http://x\n\n" + repeat("[a] ")(n - 16),
    "paragraphs": repeat("a\n\n"),
    "list items": repeat("- a\n"),
    "hard breaks": repeat("a  \n"),
}

CPU_SECONDS = 1.5  # about 0.2 s on the development machine; stock Python-Markdown took minutes


@contextlib.contextmanager
def abort_after(seconds: float):
    """Fail fast instead of hanging when a render takes far too long (as before the fix)."""

    def stop(signum, frame):
        raise TimeoutError(f"still rendering after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def cpu_seconds(render, text: str) -> float:
    with abort_after(20):
        started = time.process_time()
        render(text)
        return time.process_time() - started


@pytest.mark.parametrize("family", FAMILIES)
def test_each_pathological_family_renders_quickly_at_the_largest_allowed_size(family):
    text = FAMILIES[family](MAX_TEXT_SECTION_CHARS)[:MAX_TEXT_SECTION_CHARS]
    assert len(text) > 0.9 * MAX_TEXT_SECTION_CHARS
    assert cpu_seconds(render_markdown, text) < CPU_SECONDS


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    unit=st.text(alphabet="[]()!<>*_`~#=-|:\"' &;\\+.1a\n\t", min_size=1, max_size=7),
)
def test_any_repeated_unit_renders_quickly_at_the_largest_allowed_size(unit):
    text = repeat(unit)(MAX_TEXT_SECTION_CHARS)
    assert cpu_seconds(render_markdown, text) < CPU_SECONDS


def test_code_at_the_largest_allowed_size_is_quick():
    # Pygments spends ~10 microseconds on each character it cannot lex: past 20,000 characters
    # of code in one text, code is shown without highlighting.
    code = repeat("$1")(MAX_SECTION_CHARS)
    assert cpu_seconds(lambda c: render_code(c, "python"), code) < CPU_SECONDS
    assert "codehilite" not in render_code(code, "python")
    assert "codehilite" in render_code("x = 1\n" * 1000, "python")


# --- The same output as stock Python-Markdown ------------------------------------------------


def stock_markdown(highlight: bool = True) -> markdown.Markdown:
    """The pipeline as it was before the hardening: stock processors throughout (with the
    formulas, which are not part of the hardening)."""
    extensions: list = ["fenced_code", "tables", "sane_lists"]
    if highlight:
        extensions.append(
            CodeHiliteExtension(guess_lang=False, css_class="codehilite", wrapcode=True)
        )
    md = markdown.Markdown(extensions=extensions, output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    md.preprocessors.register(rendering.ListAfterParagraph(md), "list_after_paragraph", 20)
    rendering.math.register(md)
    return md


@contextlib.contextmanager
def without_deliberate_limits():
    """Lift the bounds that change output on purpose, to compare the algorithms alone."""
    names = ("MAX_LINK_CHARS", "MAX_LINK_EVENTS", "MAX_INLINE_DEPTH")
    saved = {name: getattr(linear_inline, name) for name in names}
    for name in names:
        setattr(linear_inline, name, 10**9)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(linear_inline, name, value)


TOKENS = [*"[]()!<>*_`~#=-|:\"' &;\\+.1a\n\t", "\n\n", "    ", "> ", "- ", "1. ", "```", "~~~",
          "```python\n", "http://x", "<http://x>", "&amp;", "](", "![", "**", "__", "\n---\n",
          "\n===\n", "|-|", "[a]: http://b\n", "[a]", "`a`", "``", "\"t\"", "'t'"]  # fmt: skip


def deliberate_difference(text: str) -> bool:
    lines = text.split("\n")
    return bool(re.search(f"[*_]{{{rendering.MAX_DELIMITER_RUN + 1}}}", text)) or any(
        rendering.NestingCap._cap(line.expandtabs(4)) != line.expandtabs(4) for line in lines
    )


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=60).map("".join))
def test_random_markdown_renders_exactly_as_stock_python_markdown(text):
    if deliberate_difference(text):
        return
    with without_deliberate_limits():
        assert rendering._markdown().convert(text) == stock_markdown().convert(text)


def bank_fields():
    for path in sorted(glob.glob(str(DEFAULT_BANK / "*" / "*.md"))):
        question = parse(Path(path).read_text(encoding="utf-8"), path)
        yield from (question.prompt, question.answer, *question.rubric, *question.hints)
        yield from (text for text, _ in question.choices)


def test_the_built_in_bank_renders_exactly_as_with_stock_python_markdown():
    fields = list(bank_fields())
    assert len(fields) > 4000
    different = [
        text[:60]
        for text in fields
        if rendering._markdown().convert(text) != stock_markdown().convert(text)
    ]
    assert different == []


# --- Deliberate differences, each for input no question needs -----------------------------------


def test_deep_list_nesting_on_one_line_is_capped_instead_of_crashing():
    html = render_markdown("+ " * 10_000 + "x")  # RecursionError before
    assert html.count("<ul>") == rendering.MAX_NESTING_PER_LINE
    assert render_markdown("- - - - - - - - - - - -").strip() == "<hr>"  # rules are not lists
    assert render_markdown("> > quoted twice").count("<blockquote>") == 2


def test_a_crash_deep_in_the_parser_shows_the_text_instead(monkeypatch):
    def too_deep(highlight=True):
        raise RecursionError

    monkeypatch.setattr(rendering, "_markdown", too_deep)
    assert render_markdown("a <b>\n\nc") == "<p>a &lt;b&gt;</p><p>c</p>"


def test_link_destinations_are_read_only_so_far():
    assert '<a href="https://example.com/a_(b)"' in render_markdown(
        "[x](https://example.com/a_(b))"
    )
    assert "<a" not in render_markdown("[x](" + "y" * (rendering.MAX_LINK_CHARS + 10) + ")")
    assert "<a" not in render_markdown("[x](" + "()" * rendering.MAX_LINK_EVENTS + ")")


def test_long_runs_of_emphasis_markers_are_text():
    run = "*" * (rendering.MAX_DELIMITER_RUN + 1)
    assert render_markdown(f"{run}a{run}") == f"<p>{run}a{run}</p>"
    assert render_markdown("***a***") == "<p><strong><em>a</em></strong></p>"


def test_highlighting_stops_past_the_code_any_question_needs():
    few = "\n\n".join(["```python\nx = 1\n```"] * 3)
    many = "\n\n".join(["```python\nx = 1\n```"] * (rendering.MAX_HIGHLIGHTED_BLOCKS + 1))
    assert render_markdown(few).count('class="codehilite"') == 3
    assert "codehilite" not in render_markdown(many)
    assert '<code class="language-python">' in render_markdown(many)


def test_bracket_and_backtick_indexes_are_built_once_per_text(monkeypatch):
    builds = []
    for name in ("_bracket_pairs", "_backtick_runs"):
        real = getattr(linear_inline, name)
        monkeypatch.setattr(
            linear_inline,
            name,
            lambda data, real=real, name=name: builds.append(name) or real(data),
        )
    render_markdown("[" * 5_000 + "``a`" * 1_000)
    # Per text (and again after each match): the stock scans walked the rest of the text for
    # each of the 6,000 candidates instead.
    assert builds.count("_bracket_pairs") <= 3 and builds.count("_backtick_runs") <= 3
