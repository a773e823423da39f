"""`manage.py checkcode`, the bank's code check (CI runs it over the whole bank with
`make check-bank`): a sample of real questions of each sort comes out clean, and a question whose
wrong answer passes its tests, or whose reference fails them, is reported and fails the command."""

import pytest
from django.core.management import CommandError, call_command

from questions.loader import DEFAULT_BANK
from tests.conftest import needs_bwrap

pytestmark = needs_bwrap

SAMPLE = [
    "coding/alien-alphabet-order.md",  # Python
    "coding/review-binary-search-off-by-one.md",  # review: flawed given code
    "coding/review-sql-count-star-left-join.md",  # SQL
    "ml-coding/adam-optimizer-step.md",  # NumPy
]


def _write(tmp_path, source: str, solution: str, wrong: str):
    text = source.replace("<<SOLUTION>>", solution).replace("<<WRONG>>", wrong)
    path = tmp_path / "double.md"
    path.write_text(text, encoding="utf-8")
    return path


QUESTION = """---
title: Double a number
category: coding
kind: coding
difficulty: easy
rounds: [coding]
tags: [warm-up]
---
Write `double(n)`.

## Answer
Multiply by two.

## Rubric
- Returns 2 * n

## Starter
```python
def double(n):
    pass
```

## Solution
```python
<<SOLUTION>>
```

## Tests
```python
def test_example():
    assert double(2) == 4


def test_zero():
    assert double(0) == 0


def test_negative():
    assert double(-3) == -6


def test_large():
    assert double(10**6) == 2 * 10**6
```

## Wrong answers
```python
<<WRONG>>
```
"""
RIGHT = "def double(n):\n    return 2 * n"


def test_a_sample_of_the_bank_is_clean(settings, capsys):
    settings.PREP_CODE_RUNNER = "bwrap"
    call_command("checkcode", *[str(DEFAULT_BANK / p) for p in SAMPLE], jobs=2)
    out = capsys.readouterr().out
    assert "BAD" not in out
    # The report keeps the files' order whatever finished first.
    assert out.index("alien-alphabet-order.md") < out.index("adam-optimizer-step.md")
    assert "Every reference passes" in out


def test_a_wrong_answer_that_passes_is_reported(settings, tmp_path, capsys):
    settings.PREP_CODE_RUNNER = "bwrap"
    path = _write(
        tmp_path,
        QUESTION,
        RIGHT,
        "def double(n):\n    # the same, written another way\n    return n + n",
    )
    with pytest.raises(CommandError, match="1 problem"):
        call_command("checkcode", str(path), jobs=2)
    assert "BAD  double.md: wrong answer 1" in capsys.readouterr().out


def test_a_reference_that_fails_is_reported(settings, tmp_path, capsys):
    settings.PREP_CODE_RUNNER = "bwrap"
    path = _write(
        tmp_path,
        QUESTION,
        "def double(n):\n    return n",
        "def double(n):\n    # forgets the input\n    return 0",
    )
    with pytest.raises(CommandError, match="1 problem"):
        call_command("checkcode", str(path))
    assert "BAD  double.md: reference fails" in capsys.readouterr().out
