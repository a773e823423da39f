from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from questions import throttle
from questions.queue import parse_scope


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's login form, refusing further attempts after too many failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "pair": (
            "Too many failed sign-in attempts for this account from your network. Sign-in to it "
            "from here is paused for %(minutes)d minutes. You can reset your password meanwhile."
        ),
        "address": (
            "Too many failed sign-in attempts from your network. Sign-in from here is paused "
            "for %(minutes)d minutes."
        ),
        "account": (
            "Too many failed sign-in attempts for this account from many places. Sign-in from "
            "browsers that have not signed in to it before is paused for %(minutes)d minutes; "
            "browsers you have used with it still work. You can reset your password meanwhile."
        ),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if username and (lockout := throttle.login_lockout(self.request, username)):
            raise forms.ValidationError(
                self.error_messages[lockout.code],
                code="locked_out",
                params={"minutes": lockout.minutes},
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                throttle.record_failure(self.request, username)
            raise
        throttle.record_success(self.request, username)
        return cleaned


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        required=False, help_text="Optional; only used to reset your password."
    )

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")


class IntListField(forms.Field):
    """Repeated integer values (checked boxes): ?pick=0&pick=2 -> [0, 2]."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        try:
            values = [int(v) for v in (value or [])]
        except (TypeError, ValueError):
            raise forms.ValidationError("expected whole numbers") from None
        if len(values) > 50 or any(not 0 <= v < 100 for v in values):
            raise forms.ValidationError("out of range")
        return values


class RatingForm(forms.Form):
    """What the practice page posts to reveal and to rate a card."""

    question = forms.SlugField(max_length=120)
    scope = forms.CharField(max_length=80, required=False)
    seq = forms.IntegerField(min_value=0)
    started = forms.IntegerField(min_value=0)
    shown_at = forms.IntegerField(min_value=0)
    answer = forms.CharField(required=False, max_length=50_000, strip=False)
    picks = IntListField(required=False)
    rubric = IntListField(required=False)
    rating = forms.TypedChoiceField(
        choices=[(1, "Again"), (2, "Hard"), (3, "Good"), (4, "Easy")], coerce=int, required=False
    )

    def __init__(self, *args, require_rating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rating"].required = require_rating

    def clean_scope(self):
        scope = parse_scope(self.cleaned_data["scope"])
        if scope is None:
            raise forms.ValidationError("unknown practice scope")
        return scope

    def clean(self):
        cleaned = super().clean()
        for name in ("picks", "rubric"):
            cleaned[name] = cleaned.get(name) or []
        return cleaned
