import zoneinfo
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


@cache
def known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(name: str) -> None:
    if name and name not in known_timezones():
        raise ValidationError(f"“{name}” is not a time zone name such as Europe/London.")


class Profile(models.Model):
    """A user's preferences; saved the first time they change one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    hide_difficulty = models.BooleanField(
        default=False,
        help_text="Hide easy/medium/hard labels, as in a real interview.",
    )
    desired_retention = models.FloatField(
        default=0.9,
        validators=[MinValueValidator(0.7), MaxValueValidator(0.97)],
        help_text=(
            "The chance of remembering an answer when it comes back (0.70 to 0.97). Higher "
            "means more frequent reviews."
        ),
    )
    track = models.ForeignKey(
        "questions.Track",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        help_text="Which interview loop you are preparing for.",
    )
    interview_date = models.DateField(
        null=True, blank=True, help_text="Optional: readiness is predicted for this day."
    )
    new_per_day = models.PositiveSmallIntegerField(
        "new questions per day",
        default=10,
        validators=[MaxValueValidator(200)],
        help_text="How many questions you have never seen may be introduced each day.",
    )

    minutes_per_day = models.PositiveSmallIntegerField(
        "minutes a day",
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(600)],
        help_text="How long you mean to practise on a usual day: the study plan fits into it.",
    )
    # When the user finished or skipped the welcome steps after sign-up (null: not yet).
    onboarded_at = models.DateTimeField(null=True, blank=True)
    timezone = models.CharField(
        "time zone",
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text="Dates and times are shown in this zone. Empty: your browser's.",
    )

    def __str__(self) -> str:
        return f"Settings of {self.user}"

    @classmethod
    def for_user(cls, user) -> "Profile":
        """The saved settings, or unsaved defaults: reading never writes (GET stays safe)."""
        return cls.objects.filter(user=user).first() or cls(user=user)
