"""The user's real interview loops: each company's stages, their dates and outcomes, and the
questions the user was asked in them.

A loop is data the user edits, not code: stages can be added, renamed and reordered for any
company's process. A stage that practises one of the bank's rounds names it, so readiness can be
predicted for that round at that stage's own date (questions/stage_plan.py).
"""

from django.conf import settings
from django.db import models

from .question import Question
from .taxonomy import Round


class InterviewLoop(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="loops"
    )
    company = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    # Archived loops (an old application) keep their history but stop counting for the plan.
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.company} loop of {self.user}"


class Stage(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "", "not done yet"
        WAITING = "waiting", "done, waiting to hear"
        PASSED = "passed", "passed"
        FAILED = "failed", "did not pass"

    loop = models.ForeignKey(InterviewLoop, on_delete=models.CASCADE, related_name="stages")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(max_length=100)
    # The bank round this stage practises (none for, say, a team-matching call).
    round = models.ForeignKey(
        Round, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    date = models.DateField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.loop.company})"

    @property
    def is_done(self) -> bool:
        return self.outcome != self.Outcome.PENDING

    @property
    def status(self) -> str:
        """not scheduled, scheduled, waiting, passed or failed: what the tracker shows."""
        if self.is_done:
            return self.outcome
        return "scheduled" if self.date else "not-scheduled"


class AskedQuestion(models.Model):
    """A question the user was really asked in a stage; it can become a private question."""

    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="asked")
    text = models.TextField()
    question = models.ForeignKey(
        Question, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:60]
