from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from questions import throttle


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's login form, refusing further attempts after too many failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked_out": (
            "Too many failed sign-in attempts. For your security, sign-in for this account "
            "is paused for %(minutes)d minutes. You can reset your password meanwhile."
        ),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if username and throttle.is_locked_out(self.request, username):
            raise forms.ValidationError(
                self.error_messages["locked_out"],
                code="locked_out",
                params={"minutes": throttle.lockout_minutes()},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                throttle.record_failure(self.request, username)
            raise
        throttle.record_success(username)
        return cleaned


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        required=False, help_text="Optional; only used to reset your password."
    )

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")
