"""A Run or Submit of a user's code, executed by a runner worker off the web request."""

from django.conf import settings
from django.db import models

from .question import Question


class CodeRunQuerySet(models.QuerySet):
    def pending(self) -> "CodeRunQuerySet":
        return self.filter(status__in=[CodeRun.Status.QUEUED, CodeRun.Status.RUNNING])


class CodeRun(models.Model):
    """One execution request. The web request creates it (queued) and enqueues a task; a worker
    claims it (running), runs the code and stores the result (done) exactly once, keyed by the
    attempt number, so a retried job never records twice. A job whose worker died is retried
    once by its watchdog and then reported (failed)."""

    class Kind(models.TextChoices):
        RUN = "run", "Run the examples"
        SUBMIT = "submit", "Submit all tests"
        # A review question's catching test: the user's test, run on the flawed code and on
        # the reference solution (questions/review.py).
        CATCH = "catch", "Check a test against the flawed code"

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"
        DONE = "done", "done"
        FAILED = "failed", "failed"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="code_runs"
    )
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="code_runs")
    # A run made inside a mock interview belongs to that mock's question, not to the draft.
    mock_item = models.ForeignKey(
        "questions.MockItem",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="code_runs",
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    code = models.TextField()  # the code run; for a catch run, the user's test
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)  # how many times a worker started it
    result = models.JSONField(null=True, blank=True)  # RunResult.as_dict() once done
    error = models.TextField(blank=True)  # why it failed (the runner, not the user's code)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = CodeRunQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["user", "status"], name="coderun_user_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} by {self.user} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status in {self.Status.QUEUED, self.Status.RUNNING}
