"""The built-in bank itself: sizes per category, complete answers, no duplicates, choice
answers that explain every option, and coding and review questions complete enough to run.
Running their code (reference passes; starter, flawed given code and wrong answers fail) is
`make check-bank`, a CI step of its own: some 1,450 sandbox runs (tests/test_checkcode.py tests
the checker)."""

import re
from collections import Counter
from itertools import combinations

import pytest

from questions import runner
from questions.bankfile import RUNNABLE_KINDS
from questions.loader import DEFAULT_BANK, read_bank
from questions.rendering import math

MINIMUMS = {
    "ml-fundamentals": 70, "deep-learning": 55, "recsys": 50, "vision": 35, "nlp": 30,
    "statistics": 35, "big-data": 25, "system-design": 25, "research": 18, "behavioural": 12,
    "ml-coding": 38,
}  # fmt: skip
MIN_PYTHON_CODING, MIN_SQL_CODING = 60, 12
MIN_REVIEW = 40  # "validate AI-generated code": catch it with a test, fix it, explain it
# A design answer opens with the clarifying questions and a scale estimate and closes with the
# trade-offs, as a strong candidate's answer does in the round.
DESIGN_SECTIONS = [
    "Requirements and scale",
    "Problem and metrics",
    "Data",
    "Features",
    "Model",
    "Serving",
    "Evaluation",
    "Scaling and monitoring",
    "Trade-offs",
]


@pytest.fixture(scope="module")
def bank():
    _, parsed = read_bank(DEFAULT_BANK)
    return [question for question, _ in parsed]


def test_every_category_has_its_minimum(bank):
    counts = Counter(q.category for q in bank)
    for category, minimum in MINIMUMS.items():
        assert counts[category] >= minimum, f"{category}: {counts[category]} < {minimum}"
    languages = Counter(q.language for q in bank if q.category == "coding" and q.kind == "coding")
    assert languages["python"] >= MIN_PYTHON_CODING
    assert languages["sql"] >= MIN_SQL_CODING
    assert sum(q.kind == "review" for q in bank) >= MIN_REVIEW


def test_knowledge_categories_are_at_least_a_fifth_choice(bank):
    for category in MINIMUMS.keys() - {"ml-coding"}:
        questions = [q for q in bank if q.category == category]
        choice = sum(q.kind == "choice" for q in questions)
        assert choice * 5 >= len(questions), f"{category}: {choice} of {len(questions)} are choice"


def test_every_question_has_an_answer_and_three_to_six_rubric_points(bank):
    for q in bank:
        assert len(q.answer.split()) >= 15, q.slug
        assert 3 <= len(q.rubric) <= 6, q.slug
        assert q.rounds and q.tags, q.slug


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def test_no_duplicate_or_near_duplicate_questions(bank):
    titles = Counter(" ".join(sorted(_words(q.title))) for q in bank)
    assert [t for t, n in titles.items() if n > 1] == []
    shingles = {q.slug: _words(q.title + " " + q.prompt) for q in bank}
    near = []
    for a, b in combinations(bank, 2):
        sa, sb = shingles[a.slug], shingles[b.slug]
        if len(sa & sb) / max(1, len(sa | sb)) > 0.8:
            near.append((a.slug, b.slug))
    assert near == []


def test_every_formula_in_the_bank_can_be_read(bank):
    unreadable = []
    for q in bank:
        for text in (q.prompt, q.answer, *q.rubric, *q.hints, *(t for t, _ in q.choices)):
            unreadable += [f"{q.slug}: {problem}" for problem in math.problems(text)]
    assert unreadable == []


def test_choice_answers_explain_exactly_their_options(bank):
    for q in (q for q in bank if q.kind == "choice"):
        letters = re.findall(r"^- \*\*([A-Z])\.\*\*", q.answer, re.M)
        assert letters == [chr(ord("A") + i) for i in range(len(q.choices))], q.slug
        assert 3 <= len(q.choices) <= 5, q.slug


def test_design_answers_follow_the_structure(bank):
    for q in (q for q in bank if q.kind == "design"):
        headings = re.findall(r"^### (.+)$", q.answer, re.M)
        assert headings == DESIGN_SECTIONS, q.slug


def test_coding_questions_have_examples_and_enough_tests(bank):
    for q in (q for q in bank if q.kind in RUNNABLE_KINDS):
        names = re.findall(r"^def (test_\w+)", q.tests, re.M)
        assert len(names) >= 4, q.slug
        assert names[0].startswith("test_example"), q.slug
        assert len(set(names)) == len(names), f"{q.slug}: a test name is reused and hides another"
        assert runner.example_test_names(q.tests), q.slug


def test_every_runnable_question_carries_wrong_answers_its_tests_must_catch(bank):
    thin = [q.slug for q in bank if q.kind in RUNNABLE_KINDS and len(q.wrong_answers) < 2]
    assert thin == [], "fewer than two wrong answers"
