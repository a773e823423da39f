"""The user's interview loops: the bank's stages for a track, creating a loop, reordering its
stages, how far a stage's date is, and turning a question the user was asked into a practice
question.

A question made from an asked question goes through the authoring form and its bank-format
parser (questions/forms_authoring.py), then `authoring.create_question`: it is a real private
question, validated and sanitised like any other the user writes.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max, Prefetch
from django.utils.text import slugify

from questions import authoring
from questions.bankfile import MAX_TITLE_CHARS
from questions.models import AskedQuestion, InterviewLoop, Question, Round, Stage, Track
from questions.readiness import rounds_of_track

DEFAULT_COMPANY = "Pinterest"
ASKED_TAG = "asked-in-interview"
ANSWER_PLACEHOLDER = "Write your answer here after the interview."
RUBRIC_PLACEHOLDER = "Answers what was asked"
MAX_ASKED_CHARS = 5_000
# A date further ahead than this is a typo (a year of 2062), not an interview.
MAX_DAYS_AHEAD = 2 * 366


@dataclass
class StageDraft:
    """A stage before it is saved: what onboarding and 'Add a loop' start from."""

    name: str
    round: Round | None
    date: datetime.date | None = None
    outcome: str = ""


def default_stages(track: Track | None) -> list[StageDraft]:
    """The bank's loop for a track (loop.yaml): one stage per round, named after it."""
    return [StageDraft(name=r.name, round=r) for r in rounds_of_track(track)]


def create_loop(user, company: str, stages: list[StageDraft]) -> InterviewLoop:
    with transaction.atomic():
        loop = InterviewLoop.objects.create(user=user, company=company)
        Stage.objects.bulk_create(
            Stage(
                loop=loop,
                position=position,
                name=draft.name,
                round=draft.round,
                date=draft.date,
                outcome=draft.outcome,
            )
            for position, draft in enumerate(stages)
        )
    return loop


def add_stage(loop: InterviewLoop, stage: Stage) -> Stage:
    """Save `stage` at the end of `loop`."""
    last = loop.stages.aggregate(last=Max("position"))["last"]
    stage.loop = loop
    stage.position = 0 if last is None else last + 1
    stage.save()
    return stage


def move_stage(stage: Stage, step: int) -> bool:
    """Move a stage one place up (-1) or down (+1) in its loop; False at either end. Positions
    are renumbered 0, 1, 2... so equal or missing numbers cannot make a move a no-op."""
    with transaction.atomic():
        stages = list(Stage.objects.select_for_update().filter(loop_id=stage.loop_id))
        index = next(i for i, s in enumerate(stages) if s.pk == stage.pk)
        other = index + step
        if not 0 <= other < len(stages):
            return False
        stages[index], stages[other] = stages[other], stages[index]
        for position, item in enumerate(stages):
            item.position = position
        Stage.objects.bulk_update(stages, ["position"])
    return True


def loops_for(user):
    """The user's loops with their stages, rounds and asked questions: a fixed number of
    queries however many there are."""
    asked = AskedQuestion.objects.select_related("question")
    stages = Stage.objects.select_related("round").prefetch_related(Prefetch("asked", asked))
    return InterviewLoop.objects.filter(user=user).prefetch_related(Prefetch("stages", stages))


def when(date: datetime.date | None, today: datetime.date) -> str:
    """'today', 'tomorrow', 'in 5 days', 'yesterday', '3 days ago' ('' without a date)."""
    if date is None:
        return ""
    days = (date - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {days} days" if days > 0 else f"{-days} days ago"


def next_stage(stages: list[Stage]) -> Stage | None:
    """The first stage, in loop order, that is not done yet."""
    return next((s for s in stages if not s.is_done), None)


# --- A question the user was asked -> a private practice question ---------------------------


class PracticeQuestionError(Exception):
    """The asked text could not become a question; the message says why, for the user."""


def title_from(text: str) -> str:
    """The first non-empty line, as one line of at most MAX_TITLE_CHARS characters."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    title = " ".join(first.split())
    if len(title) > MAX_TITLE_CHARS:
        title = title[: MAX_TITLE_CHARS - 1].rstrip() + "…"
    return title


def prompt_from(text: str) -> str:
    """The asked text as the prompt. A line starting with '## ' would begin a new part of a
    question in the bank format: it becomes a '### ' heading, as the form asks writers to do."""
    return re.sub(r"(?m)^(\s{0,3})## ", r"\1### ", text.replace("\r\n", "\n"))


def company_slug(company: str) -> str:
    """'Meta Platforms, Inc.' -> 'meta-platforms-inc', a valid tag ('' for no latin letters)."""
    return re.sub(r"[^a-z0-9]+", "-", slugify(company)).strip("-")[:60].strip("-")


def practice_round(asked: AskedQuestion, chosen: Round | None, track: Track | None) -> Round:
    """The stage's round; else the one the user picked; else the first of their track."""
    round_ = asked.stage.round or chosen or next(iter(rounds_of_track(track)), None)
    if round_ is None:
        raise PracticeQuestionError("There is no interview round to file it under yet.")
    return round_


def make_practice_question(
    asked: AskedQuestion, *, chosen_round: Round | None = None, track: Track | None = None
) -> tuple[Question, bool]:
    """The private question made from `asked`, and whether it was made now. Asking twice (a
    double click, two tabs) never makes two: the asked question is claimed with a conditional
    update, and a request that loses the race rolls its question back."""
    from questions.forms_authoring import QuestionForm  # forms import views' helpers lazily

    if asked.question_id:
        return asked.question, False
    user = asked.stage.loop.user
    round_ = practice_round(asked, chosen_round, track)
    category = round_.categories.order_by("position").first()
    if category is None:
        raise PracticeQuestionError(f"The round “{round_.name}” has no category to file it under.")
    company_tag = company_slug(asked.stage.loop.company)
    data = {
        "title": title_from(asked.text),
        "category": category.slug,
        "kind": Question.Kind.FLASHCARD,
        "difficulty": Question.Difficulty.MEDIUM,
        "rounds": [round_.slug],
        "tags": " ".join(t for t in (ASKED_TAG, company_tag) if t),
        "visibility": Question.Visibility.PRIVATE,
        "prompt": prompt_from(asked.text),
        "answer": ANSWER_PLACEHOLDER,
        "rubric": RUBRIC_PLACEHOLDER,
    }
    form = QuestionForm(data)
    if not form.is_valid():
        errors = next(iter(form.errors.values()))
        raise PracticeQuestionError(f"It could not become a question: {errors[0]}")
    with transaction.atomic():
        question = authoring.create_question(
            form.parsed, owner=user, visibility=Question.Visibility.PRIVATE
        )
        claimed = AskedQuestion.objects.filter(pk=asked.pk, question__isnull=True).update(
            question=question
        )
        if not claimed:
            transaction.set_rollback(True)
    if not claimed:
        asked.refresh_from_db()
        return asked.question, False
    asked.question = question
    return question, True
