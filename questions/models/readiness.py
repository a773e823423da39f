"""Stored readiness history (one row per user, round and day) and timed mock interviews."""

from django.conf import settings
from django.db import models

from .practice import Rating
from .question import Question
from .taxonomy import Round


class ReadinessSnapshot(models.Model):
    """A round's readiness at the end of a day with reviews; written when a rating is saved."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    score = models.FloatField()
    coverage = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "round", "day"], name="one_snapshot_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.round} {self.day}: {self.score:.0f}"


class MockInterview(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mocks"
    )
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="+")
    # A format beyond the round's own (questions.mock.EXTRA_FORMATS), "" for the round's.
    format = models.CharField(max_length=30, blank=True)
    started_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    # The question on screen and since when: moving to another question (a POST) adds the time
    # on this one to its item, so per-question times are the server's, and survive a reload.
    current_position = models.PositiveSmallIntegerField(default=0)
    current_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.round} mock by {self.user} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def name(self) -> str:
        """What the user chose: the round, or a format of its own within it."""
        from questions.mock import format_for  # the mock module imports the models

        return format_for(self.round, self.format).name or self.round.name

    def clock_stopped_at(self, now):
        """Where the interview's clock stands: its finish, its end, or now, whichever is first."""
        return min(t for t in (self.finished_at, self.ends_at, now) if t is not None)

    def is_over(self, now) -> bool:
        """Over when finished by the user or when its time ran out (derived: GET writes nothing)."""
        return self.finished_at is not None or now >= self.ends_at


class MockItem(models.Model):
    """One question of a mock: a main question, or a follow-up the interviewer asks after one.

    What the user gave is kept by kind: `answer` is the spoken or written answer (a review
    question's explanation), `code` the code of a coding question or a review question's fix,
    `test_code` a review question's catching test, `picks` the options chosen, `sections` a
    design answer by heading. Code runs made during the mock point here (CodeRun.mock_item).
    """

    mock = models.ForeignKey(MockInterview, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()
    # The round this question belongs to in an onsite of several rounds (null: the mock's).
    round = models.ForeignKey(
        Round, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="follow_ups"
    )
    follow_ups_shown_at = models.DateTimeField(null=True, blank=True)
    answer = models.TextField(blank=True)
    code = models.TextField(blank=True)
    test_code = models.TextField(blank=True)
    picks = models.JSONField(default=list, blank=True)
    sections = models.JSONField(default=dict, blank=True)
    seconds_spent = models.PositiveIntegerField(default=0)
    rubric_ticked = models.JSONField(default=list, blank=True)  # rubric point positions
    rating = models.PositiveSmallIntegerField(choices=Rating.choices, null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["mock", "position"], name="unique_mock_position")
        ]

    def __str__(self) -> str:
        return f"{self.mock} #{self.position}"
