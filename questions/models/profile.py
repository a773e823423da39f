from django.conf import settings
from django.db import models


class Profile(models.Model):
    """A user's preferences; saved the first time they change one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    hide_difficulty = models.BooleanField(
        default=False,
        help_text="Hide easy/medium/hard labels, as in a real interview.",
    )

    def __str__(self) -> str:
        return f"Settings of {self.user}"

    @classmethod
    def for_user(cls, user) -> "Profile":
        """The saved settings, or unsaved defaults: reading never writes (GET stays safe)."""
        return cls.objects.filter(user=user).first() or cls(user=user)
