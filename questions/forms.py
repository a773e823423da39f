import re

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, UserCreationForm
from django.db.models import F, Q, Value
from django.db.models.functions import Lower, Replace

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


# New usernames: ASCII letters, digits and . _ - (after the NFKC normalisation UsernameField
# does), starting with a letter or digit, so no two can differ only by a lookalike script.
USERNAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")

# Lookalikes folded into one "skeleton" to compare a new name against existing ones (which may
# predate the ASCII rule). First other scripts' lookalikes of Latin letters (both cases), then
# lower case, then the ASCII lookalikes: with case not counting, I is i, so i, I, l and 1 are one.
CONFUSABLE_CHARS = {
    "\N{CYRILLIC SMALL LETTER A}": "a",
    "\N{CYRILLIC CAPITAL LETTER A}": "a",
    "\N{CYRILLIC CAPITAL LETTER VE}": "b",
    "\N{CYRILLIC SMALL LETTER ES}": "c",
    "\N{CYRILLIC CAPITAL LETTER ES}": "c",
    "\N{CYRILLIC SMALL LETTER KOMI DE}": "d",
    "\N{CYRILLIC SMALL LETTER IE}": "e",
    "\N{CYRILLIC CAPITAL LETTER IE}": "e",
    "\N{CYRILLIC SMALL LETTER SHHA}": "h",
    "\N{CYRILLIC CAPITAL LETTER EN}": "h",
    "\N{CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I}": "i",
    "\N{CYRILLIC CAPITAL LETTER BYELORUSSIAN-UKRAINIAN I}": "l",
    "\N{CYRILLIC SMALL LETTER PALOCHKA}": "l",
    "\N{CYRILLIC SMALL LETTER JE}": "j",
    "\N{CYRILLIC CAPITAL LETTER JE}": "j",
    "\N{CYRILLIC CAPITAL LETTER KA}": "k",
    "\N{CYRILLIC CAPITAL LETTER EM}": "m",
    "\N{CYRILLIC SMALL LETTER O}": "o",
    "\N{CYRILLIC CAPITAL LETTER O}": "o",
    "\N{CYRILLIC SMALL LETTER ER}": "p",
    "\N{CYRILLIC CAPITAL LETTER ER}": "p",
    "\N{CYRILLIC SMALL LETTER QA}": "q",
    "\N{CYRILLIC SMALL LETTER DZE}": "s",
    "\N{CYRILLIC CAPITAL LETTER DZE}": "s",
    "\N{CYRILLIC CAPITAL LETTER TE}": "t",
    "\N{CYRILLIC SMALL LETTER U}": "y",
    "\N{CYRILLIC CAPITAL LETTER U}": "y",
    "\N{CYRILLIC SMALL LETTER WE}": "w",
    "\N{CYRILLIC SMALL LETTER HA}": "x",
    "\N{CYRILLIC CAPITAL LETTER HA}": "x",
    "\N{GREEK SMALL LETTER ALPHA}": "a",
    "\N{GREEK CAPITAL LETTER ALPHA}": "a",
    "\N{GREEK CAPITAL LETTER BETA}": "b",
    "\N{GREEK CAPITAL LETTER EPSILON}": "e",
    "\N{GREEK CAPITAL LETTER ETA}": "h",
    "\N{GREEK SMALL LETTER IOTA}": "i",
    "\N{GREEK CAPITAL LETTER IOTA}": "l",
    "\N{GREEK SMALL LETTER KAPPA}": "k",
    "\N{GREEK CAPITAL LETTER KAPPA}": "k",
    "\N{GREEK CAPITAL LETTER MU}": "m",
    "\N{GREEK SMALL LETTER NU}": "v",
    "\N{GREEK CAPITAL LETTER NU}": "n",
    "\N{GREEK SMALL LETTER OMICRON}": "o",
    "\N{GREEK CAPITAL LETTER OMICRON}": "o",
    "\N{GREEK SMALL LETTER RHO}": "p",
    "\N{GREEK CAPITAL LETTER RHO}": "p",
    "\N{GREEK CAPITAL LETTER TAU}": "t",
    "\N{GREEK SMALL LETTER UPSILON}": "u",
    "\N{GREEK CAPITAL LETTER UPSILON}": "y",
    "\N{GREEK SMALL LETTER CHI}": "x",
    "\N{GREEK CAPITAL LETTER CHI}": "x",
    "\N{GREEK CAPITAL LETTER ZETA}": "z",
}
# Applied in order, to lower-case text.
ASCII_CONFUSABLES = {"i": "l", "1": "l", "0": "o", "rn": "m", "vv": "w"}
_SCRIPTS_TABLE = str.maketrans(CONFUSABLE_CHARS)


def username_skeleton(name: str) -> str:
    name = name.translate(_SCRIPTS_TABLE).lower()
    for text, target in ASCII_CONFUSABLES.items():
        name = name.replace(text, target)
    return name


def _ascii_skeleton_sql(field: str):
    """username_skeleton() in SQL for ASCII names (a short chain of REPLACE calls: SQLite's
    parser refuses the few dozen it would take to fold the other scripts too)."""
    expression = Lower(F(field))
    for text, target in ASCII_CONFUSABLES.items():
        expression = Replace(expression, Value(text), Value(target))
    return expression


def username_lookalike_exists(username: str) -> bool:
    """Whether an existing username has the same skeleton. One query: ASCII names compared in
    SQL, plus every name outside printable ASCII (only from before the ASCII rule: few), whose
    skeletons are computed here."""
    skeleton = username_skeleton(username)
    candidates = (
        get_user_model()
        .objects.annotate(ascii_skeleton=_ascii_skeleton_sql("username"))
        .filter(Q(ascii_skeleton=skeleton) | Q(username__regex=r"[^ -~]"))
        .values_list("username", flat=True)
    )
    return any(username_skeleton(name) == skeleton for name in candidates.iterator())


class SignUpForm(UserCreationForm):
    email = forms.EmailField(
        required=False, help_text="Optional; only used to reset your password."
    )

    error_messages = {
        **UserCreationForm.error_messages,
        "username_chars": (
            "Use only letters a-z, digits and . _ - (no spaces, accents or other alphabets), "
            "starting with a letter or digit."
        ),
        "username_lookalike": (
            "This username looks too much like an existing one (0 and o; 1, i, I and l; rn and "
            "m look alike, and case does not count). Choose another."
        ),
        "throttled": ("Too many new accounts from your network. Try again in %(minutes)d minutes."),
    }

    class Meta(UserCreationForm.Meta):
        fields = ("username", "email")

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.fields[
            "username"
        ].help_text = "Letters a-z, digits and . _ - only; 150 characters or fewer."

    def clean_username(self):
        # Normalised (NFKC) by the field; Django's check has reported any case-free clash.
        username = super().clean_username()
        if username is None:
            return None
        if not USERNAME_RE.match(username):
            raise forms.ValidationError(
                self.error_messages["username_chars"], code="username_chars"
            )
        if username_lookalike_exists(username):
            raise forms.ValidationError(
                self.error_messages["username_lookalike"], code="username_lookalike"
            )
        return username

    def _post_clean(self):
        super()._post_clean()
        # Count the sign-up only once everything else is valid, and before save() hashes the
        # password: that hashing (about a second of CPU) is what a flood of sign-ups costs.
        if not self.errors and (lockout := throttle.reserve_signup(self.request)):
            self.add_error(
                None,
                forms.ValidationError(
                    self.error_messages["throttled"],
                    code="throttled",
                    params={"minutes": lockout.minutes},
                ),
            )


class ThrottledPasswordResetForm(PasswordResetForm):
    """Django's reset form, refusing requests over the per-address and per-email limits. The
    refusal depends only on those counts, never on whether an account uses the email."""

    error_messages = {
        "throttled": (
            "Too many password-reset requests. Try again in %(minutes)d minutes; any reset link "
            "already sent still works."
        ),
    }

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean(self):
        cleaned = super().clean()
        email = cleaned.get("email")
        if email and (lockout := throttle.reserve_password_reset(self.request, email)):
            raise forms.ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": lockout.minutes},
            )
        return cleaned


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
    # A review question's fix and catching test (its answer box holds the explanation).
    code = forms.CharField(required=False, max_length=50_000, strip=False)
    test_code = forms.CharField(required=False, max_length=50_000, strip=False)
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
