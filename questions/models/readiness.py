"""Stored readiness history (one row per user, round and day) and timed mock interviews."""

from django.conf import settings
from django.db import models

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

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.round} mock by {self.user} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def name(self) -> str:
        """What the user chose: the round, or a format of its own within it."""
        from questions.mock import format_for  # the mock module imports the models

        return format_for(self.round, self.format).name or self.round.name

    def is_over(self, now) -> bool:
        """Over when finished by the user or when its time ran out (derived: GET writes nothing)."""
        return self.finished_at is not None or now >= self.ends_at


class MockItem(models.Model):
    mock = models.ForeignKey(MockInterview, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()
    answer = models.TextField(blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["mock", "position"], name="unique_mock_position")
        ]

    def __str__(self) -> str:
        return f"{self.mock} #{self.position}"
