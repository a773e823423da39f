"""What every mock view shares: the clock, and the user's own mock with its visible items."""

from datetime import UTC, timedelta

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone

from questions.models import MockInterview, MockItem, Question

# Autosaves already in flight when the clock hits zero still count.
GRACE = timedelta(seconds=30)


def now_utc():
    return timezone.now().astimezone(UTC)


def get_mock_for_user(request: HttpRequest, mock_id: int) -> MockInterview:
    return get_object_or_404(
        MockInterview.objects.select_related("round"), pk=mock_id, user=request.user
    )


def still_visible(request: HttpRequest, items: list[MockItem]) -> tuple[list[MockItem], int]:
    """The items whose question the user may still see, and how many were withdrawn.

    A mock keeps its questions by reference, and another user's shared question can become
    private after the mock began: from then on it is neither shown, answered nor rated here.
    """
    visible = set(
        Question.objects.visible_to(request.user)
        .filter(pk__in=[item.question_id for item in items])
        .values_list("pk", flat=True)
    )
    kept = [item for item in items if item.question_id in visible]
    return kept, len(items) - len(kept)
