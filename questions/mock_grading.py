"""What a finished mock interview earned: each question's auto-graded outcome, the rating it
suggests, the score, and the round summary the debrief opens with.

Only what happened inside the mock counts: a choice question's picks, the runs made on the mock's
own items (CodeRun.mock_item), never the user's practice drafts.

- choice: correct when the picked options are exactly the correct ones;
- coding: solved only when the LAST finished Submit of the item passed every test; its
  passed/total is the outcome, and no Submit means not solved;
- review: caught when the last finished catch run's verdict was "caught", fixed when the last
  finished Submit of the fix passed every test;
- flashcard and design: no machine grade; the user holds the answer against the rubric.

Score, 0-100, over the main questions (follow-ups drill down, they do not count): a choice
question scores 1 or 0, a coding question passed/total of its last Submit (0 if none), a review
question (caught + fixed) / 2, and every other question its self rating: Again 0, Hard 1/3,
Good 2/3, Easy 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from questions import code_runs, review, runner
from questions.grading import suggested_rating
from questions.models import CodeRun, MockInterview, MockItem, Question, Rating, Round
from questions.queue import practice_url

AUTO_GRADED = frozenset({Question.Kind.CHOICE, Question.Kind.CODING, Question.Kind.REVIEW})
SELF_RATING_VALUE = {Rating.AGAIN: 0.0, Rating.HARD: 1 / 3, Rating.GOOD: 2 / 3, Rating.EASY: 1.0}
SCORE_EXPLAINED = (
    "The score is the average over the main questions, out of 100. A multiple-choice question "
    "counts 1 if your picks were exactly right, else 0; a coding question the share of tests "
    "its last Submit passed (0 if never submitted); an AI-code review half for catching the "
    "bug with a test and half for a fix that passed; every other question your own rating: "
    "Again 0, Hard 1/3, Good 2/3, Easy 1. Follow-ups do not count."
)
WEAK_RATINGS = frozenset({Rating.AGAIN, Rating.HARD})
WEAKEST_SHOWN = 8  # rubric points in the summary


@dataclass
class Submission:
    """One Submit made in the mock, with its result once the runner finished it."""

    run: CodeRun
    result: runner.RunResult | None

    @property
    def status(self) -> str:
        if self.run.is_pending:
            return "Still running: reload the page for its result."
        if self.run.status == CodeRun.Status.FAILED:
            return self.run.error or "The runner could not run it."
        if self.result is None:
            return "No result."
        if self.result.error:
            return f"{self.result.passed} of {self.result.total} tests passed: {self.result.error}"
        return f"{self.result.passed} of {self.result.total} tests passed"


@dataclass
class Outcome:
    """The machine's grade of one item (`graded` False for flashcards and design prompts)."""

    kind: str
    graded: bool = False
    success: bool | None = None  # None when not machine-graded
    summary: str = ""
    value: float | None = None  # 0..1 toward the score; None: the self rating decides
    data: dict = field(default_factory=dict)  # practice's outcome shape (questions/grading.py)
    # choice
    picked: list[str] = field(default_factory=list)  # letters
    correct_letters: list[str] = field(default_factory=list)
    wrong_picks: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    # coding, and a review question's fix
    submissions: list[Submission] = field(default_factory=list)
    last: runner.RunResult | None = None
    # review
    catch: review.CatchResult | None = None
    catch_pending: bool = False

    @property
    def suggested(self) -> int | None:
        return suggested_rating(self.data) if self.graded else None


def runs_by_item(mock: MockInterview) -> dict[int, list[CodeRun]]:
    """Every run made in this mock, oldest first, by item: one query for the whole mock."""
    grouped: dict[int, list[CodeRun]] = {}
    runs = CodeRun.objects.filter(user_id=mock.user_id, mock_item__mock=mock).order_by(
        "created_at", "pk"
    )
    for run in runs:
        grouped.setdefault(run.mock_item_id, []).append(run)
    return grouped


def _letters(positions) -> list[str]:
    return [chr(ord("A") + p) for p in sorted(positions)]


def _joined(letters: list[str]) -> str:
    if len(letters) < 2:
        return "".join(letters)
    return ", ".join(letters[:-1]) + " and " + letters[-1]


def grade_choice(item: MockItem, choices) -> Outcome:
    positions = {c.position for c in choices}
    correct = {c.position for c in choices if c.is_correct}
    picked = {p for p in item.picks if isinstance(p, int) and p in positions}
    right = picked == correct
    outcome = Outcome(
        kind=Question.Kind.CHOICE,
        graded=True,
        success=right,
        value=1.0 if right else 0.0,
        data={"picked": sorted(picked), "correct_options": sorted(correct), "correct": right},
        picked=_letters(picked),
        correct_letters=_letters(correct),
        wrong_picks=_letters(picked - correct),
        missed=_letters(correct - picked),
    )
    answer = f"the answer is {_joined(outcome.correct_letters)}"
    if right:
        outcome.summary = f"Correct: you picked {_joined(outcome.picked)}."
    elif not picked:
        outcome.summary = f"Not answered: no option picked; {answer}."
    else:
        outcome.summary = f"Wrong: you picked {_joined(outcome.picked)}; {answer}."
    return outcome


def _submissions(runs: list[CodeRun]) -> list[Submission]:
    return [
        Submission(run, code_runs.result_of(run)) for run in runs if run.kind == CodeRun.Kind.SUBMIT
    ]


def _last_done(submissions: list[Submission]) -> runner.RunResult | None:
    done = [s.result for s in submissions if s.result is not None]
    return done[-1] if done else None


def grade_coding(item: MockItem, runs: list[CodeRun]) -> Outcome:
    submissions = _submissions(runs)
    last = _last_done(submissions)
    outcome = Outcome(kind=Question.Kind.CODING, graded=True, submissions=submissions, last=last)
    if last is None:
        outcome.success, outcome.value = False, 0.0
        outcome.data = {"submitted": False, "passed": 0, "total": 0, "all_passed": False}
        outcome.summary = "Not solved: no Submit finished during the interview."
        return outcome
    outcome.success = last.all_passed
    outcome.value = last.passed / last.total if last.total else 0.0
    outcome.data = {
        "submitted": True,
        "passed": last.passed,
        "total": last.total,
        "all_passed": last.all_passed,
        "wall_ms": round(last.wall_ms, 1),
    }
    tests = f"{last.passed} of {last.total} tests passed on your last Submit"
    outcome.summary = f"Solved: {tests}." if last.all_passed else f"Not solved: {tests}."
    return outcome


def grade_review(item: MockItem, runs: list[CodeRun]) -> Outcome:
    submissions = _submissions(runs)
    last = _last_done(submissions)
    catches = [r for r in runs if r.kind == CodeRun.Kind.CATCH]
    verdicts = [c for c in (code_runs.catch_of(r) for r in catches) if c is not None]
    catch = verdicts[-1] if verdicts else None
    caught = bool(catch and catch.caught)
    fixed = bool(last and last.all_passed)
    outcome = Outcome(
        kind=Question.Kind.REVIEW,
        graded=True,
        success=caught and fixed,
        value=(caught + fixed) / 2,
        submissions=submissions,
        last=last,
        catch=catch,
        catch_pending=any(r.is_pending for r in catches),
        data={"caught": caught, "fixed": fixed},
    )
    if last is not None:
        outcome.data.update(fix_passed=last.passed, fix_total=last.total)
    test = (
        "your test caught the bug"
        if caught
        else ("your test did not catch the bug" if catch else "no test checked")
    )
    fix = f"your fix passed {last.passed} of {last.total} tests" if last else "no fix submitted"
    outcome.summary = f"{test.capitalize()}; {fix}."
    return outcome


def grade(item: MockItem, runs: list[CodeRun]) -> Outcome:
    """The outcome of one item; its question's choices must be prefetched for a choice."""
    kind = item.question.kind
    if kind == Question.Kind.CHOICE:
        return grade_choice(item, item.question.choices.all())
    if kind == Question.Kind.CODING:
        return grade_coding(item, runs)
    if kind == Question.Kind.REVIEW:
        return grade_review(item, runs)
    return Outcome(kind=kind, summary="Self-graded: hold your answer against the rubric.")


def item_value(outcome: Outcome, rating: int | None) -> float | None:
    """An item's share of the score: its machine grade, else its self rating (None if unrated)."""
    if outcome.value is not None:
        return outcome.value
    return SELF_RATING_VALUE.get(rating) if rating is not None else None


def score(values: list[float]) -> float:
    """0-100, one decimal: the mean of the items' values."""
    return round(100 * sum(values) / len(values), 1) if values else 0.0


def mock_score(
    main: list[MockItem], outcomes: dict[int, Outcome], ratings: dict[int, int]
) -> float:
    """The score of the main items from their outcomes and ratings (by item position)."""
    values = [item_value(outcomes[item.pk], ratings.get(item.position)) for item in main]
    return score([v for v in values if v is not None])


# --- The round summary ---------------------------------------------------------------------


def seconds_used(mock: MockInterview, now: datetime) -> int:
    """Time from the start to the finish (or to the end of the clock, or now if it still runs)."""
    end = mock.clock_stopped_at(now)
    return max(0, int((end - mock.started_at).total_seconds()))


def seconds_allowed(mock: MockInterview) -> int:
    return int((mock.ends_at - mock.started_at).total_seconds())


def duration(seconds: int) -> str:
    """'45 s', '4 min 05 s', '4 min', '1 h 02 min': a time as the debrief prints it."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def needs_practice(item: MockItem, outcome: Outcome) -> bool:
    """Rated Again or Hard, or failed by the machine."""
    return item.rating in WEAK_RATINGS or outcome.success is False


def practise_next(rated: list[MockItem], outcomes: dict[int, Outcome], rounds: list[Round]) -> dict:
    """The questions to practise next (each once) and a practice link for each round."""
    seen, questions = set(), []
    for item in rated:
        if needs_practice(item, outcomes[item.pk]) and item.question_id not in seen:
            seen.add(item.question_id)
            questions.append(item.question)
    return {
        "questions": questions,
        "rounds": [(r, practice_url(f"round:{r.slug}")) for r in rounds],
    }


def weakest_points(
    rated: list[MockItem], limit: int = WEAKEST_SHOWN
) -> list[tuple[MockItem, list]]:
    """After rating: the rubric points left unticked, with their question, the lowest-rated
    questions first, at most `limit` points (each question's own list shows the rest).
    Needs the rubric points prefetched."""
    rows = []
    for item in sorted(
        (i for i in rated if i.rating is not None), key=lambda i: (i.rating, i.position)
    ):
        ticked = set(item.rubric_ticked)
        missing = [p for p in item.question.rubric_points.all() if p.position not in ticked]
        if missing and limit > 0:
            rows.append((item, missing[:limit]))
            limit -= len(missing)
    return rows
