"""The bank file parser: valid files parse, broken ones name file, line and reason."""

import contextlib
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from questions.bankfile import BankFormatError, dump, parse

CATEGORIES = frozenset({"ml-fundamentals", "coding"})
ROUNDS = frozenset({"technical-screen", "coding"})

FLASHCARD = textwrap.dedent(
    """\
    ---
    title: Why does L1 give sparse weights?
    category: ml-fundamentals
    kind: flashcard
    difficulty: medium
    rounds: [technical-screen]
    tags: [regularization]
    ---
    Explain why.

    ```python
    ## not a heading: inside a code block
    x = 1
    ```

    ## Answer
    Because of the corners.

    ### A sub-heading inside the answer
    More.

    ## Rubric
    - Corners of the diamond
    - Constant subgradient
      continued on a second line

    ## Hints
    - Draw it.
    """
)

CHOICE = textwrap.dedent(
    """\
    ---
    title: Pick the metric
    category: ml-fundamentals
    kind: choice
    difficulty: easy
    rounds: [technical-screen]
    tags: [metrics]
    ---
    Which one?

    ## Choices
    - [x] Recall
    - [ ] Accuracy

    ## Answer
    - **A.** Right.
    - **B.** Wrong.

    ## Rubric
    - Knows recall
    """
)

CODING = textwrap.dedent(
    """\
    ---
    title: Add two numbers
    category: coding
    kind: coding
    difficulty: easy
    rounds: [coding]
    tags: [warmup]
    ---
    Write `add(a, b)`.

    ## Starter
    ```python
    def add(a, b):
        \"\"\"Return a + b.\"\"\"
    ```

    ## Solution
    ```python
    def add(a, b):
        return a + b
    ```

    ## Tests
    ```python
    def test_example():
        assert add(1, 2) == 3
    ```

    ## Answer
    Use +.

    ## Rubric
    - Adds
    """
)


def p(text, name="ml-fundamentals/some-question.md"):
    return parse(text, name, categories=CATEGORIES, rounds=ROUNDS)


def test_flashcard_parses_with_code_block_and_multiline_rubric():
    q = p(FLASHCARD)
    assert q.slug == "some-question"
    assert q.kind == "flashcard"
    assert "## not a heading" in q.prompt
    assert "### A sub-heading" in q.answer
    assert q.rubric == [
        "Corners of the diamond",
        "Constant subgradient\ncontinued on a second line",
    ]
    assert q.hints == ["Draw it."]


def test_choice_parses_options_and_correctness():
    q = p(CHOICE)
    assert q.choices == [("Recall", True), ("Accuracy", False)]


def test_coding_parses_parts():
    q = p(CODING, "coding/add-two.md")
    assert q.language == "python"
    assert "return a + b" in q.solution
    assert q.tests.startswith("def test_example")


@pytest.mark.parametrize("text", [FLASHCARD, CHOICE, CODING])
def test_dump_round_trips(text):
    q = p(text)
    assert p(dump(q)) == q


def error_of(text, name="ml-fundamentals/some-question.md"):
    with pytest.raises(BankFormatError) as info:
        p(text, name)
    return info.value


@pytest.mark.parametrize(
    ("broken", "line", "reason"),
    [
        (FLASHCARD.replace("kind: flashcard", "kind: essay"), 4, "kind must be one of"),
        (
            FLASHCARD.replace("category: ml-fundamentals", "category: astrology"),
            3,
            "unknown category",
        ),
        (FLASHCARD.replace("rounds: [technical-screen]", "rounds: [onsite]"), 6, "unknown round"),
        (FLASHCARD.replace("tags: [regularization]", "tags: [Bad Tag]"), 7, "lowercase slugs"),
        (FLASHCARD.replace("title: Why", "title: [Why"), None, "not valid YAML"),
        (FLASHCARD.replace("## Hints", "## Hintz"), 27, "unknown section"),
        (FLASHCARD.replace("## Rubric\n", "## Rubric\nnot a list\n"), 23, "list of '- ' items"),
        (FLASHCARD + "## Answer\nagain\n", None, "appears twice"),
        (FLASHCARD.replace("x = 1\n```", "x = 1\n"), 11, "not closed"),
        (CHOICE.replace("- [x] Recall", "- [ ] Recall"), 11, "at least one choice must be marked"),
        (CHOICE.replace("- [ ] Accuracy", "- [x] Accuracy"), 11, "must be wrong"),
        (CHOICE.replace("- [x] Recall", "- Recall"), 11, "must start with '[x] '"),
        (CODING.replace("    return a + b", "    return a +"), 20, "syntax error"),
        (CODING.replace("def test_example", "def check_example"), 23, "at least one 'def test_"),
        (
            CODING.replace(
                "```python\ndef add(a, b):\n    return", "```sql\ndef add(a, b):\n    return"
            ),
            17,
            "must be ```python like the starter",
        ),
    ],
)
def test_broken_files_report_line_and_reason(broken, line, reason):
    name = "coding/x.md" if "kind: coding" in broken else "ml-fundamentals/x.md"
    error = error_of(broken, name)
    assert reason in error.reason
    if line is not None:
        assert error.line == line, str(error)
    assert str(error).startswith(name)


def test_missing_front_matter_and_missing_sections():
    assert "must start with '---'" in error_of("Just text").reason
    assert "missing or empty '## Answer'" in error_of(FLASHCARD.split("## Answer")[0]).reason
    no_rubric = FLASHCARD.split("## Rubric")[0]
    assert "'## Rubric'" in error_of(no_rubric).reason
    assert "is not used by kind flashcard" in error_of(FLASHCARD + "\n## Choices\n- [x] a\n").reason
    coding_without_tests = CODING.split("## Tests")[0] + "## Answer\nx\n\n## Rubric\n- y\n"
    assert (
        "needs a '## Tests'"
        in error_of(
            coding_without_tests.replace("## Answer\nUse +.\n\n## Rubric\n- Adds\n", ""),
            "coding/x.md",
        ).reason
    )


def test_bad_file_names_and_unknown_keys():
    assert "file name must be a slug" in error_of(FLASHCARD, "ml-fundamentals/Bad Name.md").reason
    extra_key = FLASHCARD.replace("tags:", "author: me\ntags:")
    assert "unknown front matter key" in error_of(extra_key).reason


def test_oversized_input_is_refused_cheaply():
    huge = FLASHCARD.replace("Explain why.", "x" * 300_000)
    assert "longer than" in error_of(huge).reason


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_fuzz_arbitrary_text_raises_only_format_errors(text):
    with contextlib.suppress(BankFormatError):
        p(text)


section_lines = st.sampled_from(
    [
        "---",
        "## Answer",
        "## Rubric",
        "## Choices",
        "## Hints",
        "## Starter",
        "## Tests",
        "## Solution",
        "```python",
        "```",
        "- [x] a",
        "- [ ] b",
        "- item",
        "title: t",
        "kind: choice",
        "kind: coding",
        "rounds: [coding]",
        "tags: [a]",
        "difficulty: easy",
        "category: coding",
        "def test_x(): pass",
        "  indented",
        "",
        "text",
        "rounds: [",
        "&a *a",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(section_lines, max_size=40))
def test_fuzz_structured_lines_raise_only_format_errors(lines):
    with contextlib.suppress(BankFormatError):
        p("\n".join(lines), "coding/fuzz.md")


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=len(CODING) - 1), st.text(max_size=5))
def test_fuzz_mutated_valid_file_raises_only_format_errors(position, insert):
    with contextlib.suppress(BankFormatError):
        p(CODING[:position] + insert + CODING[position + 1 :], "coding/fuzz.md")


WRONG_ANSWERS = """
## Wrong answers
```python
def add(a, b):
    # subtracts instead of adding
    return a - b
```

```python
def add(a, b):
    return a * b  # multiplies: right only when both are 2 or both 0
```
"""


def test_wrong_answers_and_complexity_parse_and_round_trip():
    text = CODING.replace("tags: [warmup]", "tags: [warmup]\ncomplexity: O(1)") + WRONG_ANSWERS
    q = p(text, "coding/add-two.md")
    assert q.complexity == "O(1)"
    assert len(q.wrong_answers) == 2 and "return a - b" in q.wrong_answers[0]
    assert p(dump(q), "coding/add-two.md") == q


@pytest.mark.parametrize(
    "section, reason",
    [
        ("## Wrong answers\n```python\ndef add(a, b):\n    return a - b\n```\n", "comment"),
        ("## Wrong answers\n```sql\n-- wrong\nSELECT 1\n```\n", "```python block"),
        ("## Wrong answers\nsome prose\n```python\n# x\nx = 1\n```\n", "only fenced code"),
        ("## Wrong answers\n```python\n# bad\ndef add(:\n```\n", "syntax error"),
        ("## Wrong answers\n\n", "no code block"),
        ("## Wrong answers\n```python\n# never closed\n", "not closed"),
    ],
)
def test_bad_wrong_answers_are_refused_with_a_reason(section, reason):
    assert reason in str(error_of(CODING + "\n" + section, "coding/add-two.md"))


def test_complexity_must_look_like_big_o_and_belongs_to_coding_questions():
    bad = CODING.replace("tags: [warmup]", "tags: [warmup]\ncomplexity: fast")
    assert "complexity must look like O(n log n)" in str(error_of(bad, "coding/add-two.md"))
    flash = FLASHCARD.replace("---\n", "---\ncomplexity: O(n)\n", 1)
    assert "only coding and review questions take a complexity" in str(error_of(flash))
