"""Spaced-repetition state per (user, question), its append-only review log, and notes."""

import hashlib

from django.conf import settings
from django.db import models

from questions.rendering import render_markdown

from .question import Question


class Rating(models.IntegerChoices):
    AGAIN = 1, "Again"
    HARD = 2, "Hard"
    GOOD = 3, "Good"
    EASY = 4, "Easy"


class Card(models.Model):
    """FSRS memory state of one question for one user. Rebuildable from the review log."""

    class State(models.IntegerChoices):
        LEARNING = 1, "learning"
        REVIEW = 2, "review"
        RELEARNING = 3, "relearning"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cards"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="cards")
    state = models.PositiveSmallIntegerField(choices=State.choices, default=State.LEARNING)
    step = models.PositiveSmallIntegerField(null=True, blank=True, default=0)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField(null=True, blank=True)
    last_review = models.DateTimeField(null=True, blank=True)
    # Number of reviews so far: also the sequence number the next review must carry, which
    # makes a rating posted twice (double click, retry, two tabs) land only once.
    reps = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)
    # Coding questions count as solved for readiness only once their tests passed.
    solved = models.BooleanField(default=False)
    suspended = models.BooleanField(default=False)
    bookmarked = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="one_card_per_user_question")
        ]
        indexes = [models.Index(fields=["user", "suspended", "due"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.question}"

    @property
    def is_new(self) -> bool:
        return self.reps == 0


class Review(models.Model):
    """One answer and rating. Appended by practice, never edited or deleted by it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="reviews")
    sequence = models.PositiveIntegerField(help_text="0 for the first review of this question")
    rating = models.PositiveSmallIntegerField(choices=Rating.choices)
    reviewed_at = models.DateTimeField(db_index=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    rubric_ticked = models.JSONField(default=list, blank=True)
    answer = models.TextField(blank=True)
    # What was graded automatically: picked choices and correctness, or test results.
    outcome = models.JSONField(default=dict, blank=True)
    # The scheduler's decision, kept for auditing and charts.
    scheduled_due = models.DateTimeField()
    stability = models.FloatField()
    difficulty = models.FloatField()
    desired_retention = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "question", "sequence"], name="one_review_per_sequence"
            )
        ]
        indexes = [models.Index(fields=["user", "reviewed_at"])]
        ordering = ["reviewed_at", "id"]

    def __str__(self) -> str:
        return f"{self.user} rated {self.question} {self.get_rating_display()}"


class Note(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notes"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField(blank=True)
    html = models.TextField(editable=False, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="one_note_per_user_question")
        ]

    def __str__(self) -> str:
        return f"Note by {self.user} on {self.question}"

    def save(self, *args, **kwargs) -> None:
        self.html = render_markdown(self.text)
        super().save(*args, **kwargs)


class Draft(models.Model):
    """The user's latest code for a coding or review question, saved as they type, and the
    latest run; for a review question also the test that should catch the flawed code."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="drafts"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="drafts")
    code = models.TextField(blank=True)
    # {"kind": "run"|"submit", "code_sha": ..., "result": RunResult.as_dict()}
    last_run = models.JSONField(default=dict, blank=True)
    test_code = models.TextField(blank=True)
    # {"code_sha": ..., "result": review.CatchResult.as_dict()}: the last check of a test
    last_catch = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="one_draft_per_user_question")
        ]

    def __str__(self) -> str:
        return f"Draft by {self.user} for {self.question}"

    @staticmethod
    def code_sha(code: str) -> str:
        return hashlib.sha256(code.replace("\r\n", "\n").encode()).hexdigest()

    def submission_for(self, code: str) -> dict | None:
        """The last Submit's result if it was for exactly this code."""
        run = self.last_run or {}
        if run.get("kind") == "submit" and run.get("code_sha") == self.code_sha(code):
            return run.get("result")
        return None

    def catch_for(self, test_code: str) -> dict | None:
        """The last check of a catching test if it was for exactly this test."""
        catch = self.last_catch or {}
        if catch.get("code_sha") == self.code_sha(test_code):
            return catch.get("result")
        return None
