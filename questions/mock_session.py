"""A mock interview while it runs: which question is on screen, the time spent on each, and what
the user gave for each question, read from a posted form.

Time is the server's: the mock holds the main question on screen (current_position) and since
when (current_since). Moving to another question adds the open interval, cut at the round's end,
to the question being left; finishing closes it the same way. Between moves nothing is written,
so a page view (GET) never changes a time: questions.mock.seconds_on adds the open interval on
read.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F

from questions import mock as mocks
from questions.models import MockInterview, MockItem, Question

# The form fields of an item, by question kind (names carry the item's position: answer-3).
FIELDS_BY_KIND = {
    Question.Kind.FLASHCARD: ("answer",),
    Question.Kind.CHOICE: ("picks",),
    Question.Kind.CODING: ("code",),
    Question.Kind.REVIEW: ("test_code", "code", "answer"),
    Question.Kind.DESIGN: ("sections",),
}


def _close_interval(mock: MockInterview, end: datetime) -> None:
    """Add the time since the current question went on screen (up to `end`) to its item."""
    since = mock.current_since
    if since is None:  # nothing on screen was timed (questions.mock.seconds_on agrees)
        return
    end = min(end, mock.ends_at)
    seconds = int((end - since).total_seconds()) if end > since else 0
    if seconds:
        MockItem.objects.filter(
            mock=mock, position=mock.current_position, follow_up_of__isnull=True
        ).update(seconds_spent=F("seconds_spent") + seconds)


def move_to(mock: MockInterview, position: int, now: datetime) -> MockInterview:
    """Put the main question at `position` on screen; the one left keeps the time spent on it.

    Locks the mock's row, so two tabs moving at once cannot count the same seconds twice.
    Returns the mock as stored afterwards.
    """
    with transaction.atomic():
        mock = MockInterview.objects.select_for_update().get(pk=mock.pk)
        _close_interval(mock, now)
        mock.current_position = position
        mock.current_since = min(now, mock.ends_at)
        mock.save(update_fields=["current_position", "current_since"])
    return mock


def finish(mock: MockInterview, now: datetime) -> MockInterview:
    """End the interview now (or at its end time, if that came first), closing the open interval.

    Finishing twice changes nothing the second time. Returns the mock as stored afterwards.
    """
    with transaction.atomic():
        mock = MockInterview.objects.select_for_update().get(pk=mock.pk)
        if mock.finished_at is None:
            end = min(now, mock.ends_at)
            _close_interval(mock, end)
            mock.finished_at = end
            mock.current_since = end  # nothing is open any more: seconds_on adds 0
            mock.save(update_fields=["finished_at", "current_since"])
    return mock


class AnswerError(ValueError):
    """A posted answer that cannot be saved; the message says why, for the user."""


def posted_fields(item: MockItem, data) -> dict:
    """The fields of `item` present in the posted `data` (a QueryDict), validated.

    Only what was posted is returned, so a form that shows part of an item (or none of it)
    never blanks the rest. Raises AnswerError with a message for the user.
    """
    pos = item.position
    kind = item.question.kind
    fields: dict = {}
    for name in FIELDS_BY_KIND.get(kind, ("answer",)):
        if name == "picks":
            if f"picks-{pos}" not in data:
                continue
            # The form always posts an empty picks-N beside its checkboxes, so that clearing
            # every box is told apart from a form that does not show the options.
            valid = {choice.position for choice in item.question.choices.all()}
            picks = set()
            for value in data.getlist(f"picks-{pos}"):
                if value == "":
                    continue
                if not value.isdigit() or int(value) not in valid:
                    raise AnswerError("Not saved: that option is not one of this question's.")
                picks.add(int(value))
            fields["picks"] = sorted(picks)
        elif name == "sections":
            sections = {}
            for key, _heading in mocks.DESIGN_SECTIONS:
                value = data.get(f"section-{pos}-{key}")
                if value is not None:
                    sections[key] = _checked_text(value)
            if sections:
                fields["sections"] = {**item.sections, **sections}
        elif (value := data.get(f"{name}-{pos}")) is not None:
            fields[name] = _checked_text(value)
    return fields


def _checked_text(value: str) -> str:
    if len(value) > mocks.MAX_ANSWER_CHARS:
        raise AnswerError(
            f"Not saved: answers are limited to {mocks.MAX_ANSWER_CHARS:,} characters."
        )
    return value


def save_posted(item: MockItem, data) -> bool:
    """Save what was posted for `item`; True if anything changed. Raises AnswerError."""
    fields = posted_fields(item, data)
    changed = [name for name, value in fields.items() if getattr(item, name) != value]
    for name in changed:
        setattr(item, name, fields[name])
    if changed:
        item.save(update_fields=changed)
    return bool(changed)


def is_answered(item: MockItem) -> bool:
    """Whether the user has given anything for this question (starter code alone is not)."""
    question = item.question
    code = item.code.strip()
    return bool(
        item.answer.strip()
        or item.test_code.strip()
        or item.picks
        or any(text.strip() for text in item.sections.values())
        or (code and code != question.starter_code.strip())
    )
