"""The bank list's filters: one form that validates the query string and filters a queryset."""

from urllib.parse import urlencode

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from questions.models import Card, Category, Question, Round

STATUSES = [
    ("", "Any status"),
    ("new", "Not yet practised"),
    ("due", "Due for review"),
    ("bookmarked", "Bookmarked"),
    ("suspended", "Suspended"),
]


class BankFilterForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Search",
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Search title, prompt and answer"}
        ),
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="All categories",
    )
    round = forms.ModelChoiceField(
        queryset=Round.objects.all(), to_field_name="slug", required=False, empty_label="All rounds"
    )
    kind = forms.ChoiceField(choices=[("", "All kinds"), *Question.Kind.choices], required=False)
    difficulty = forms.ChoiceField(
        choices=[("", "Any difficulty"), *Question.Difficulty.choices], required=False
    )
    tag = forms.SlugField(required=False, max_length=60)
    status = forms.ChoiceField(choices=STATUSES, required=False)

    def __init__(self, *args, user, hide_difficulty: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if hide_difficulty:
            del self.fields["difficulty"]

    def apply(self, questions):
        if not self.is_bound or not self.is_valid():
            # An invalid filter (a stale link, a typo) shows the errors and the whole bank.
            return questions
        data = self.cleaned_data
        if data.get("q"):
            questions = questions.search(data["q"])
        if data.get("category"):
            questions = questions.filter(category=data["category"])
        if data.get("round"):
            questions = questions.filter(rounds=data["round"])
        if data.get("kind"):
            questions = questions.filter(kind=data["kind"])
        if data.get("difficulty"):
            questions = questions.filter(difficulty=data["difficulty"])
        if data.get("tag"):
            questions = questions.filter(tags__slug=data["tag"])
        if data.get("status"):
            questions = questions.filter(self._status_filter(data["status"]))
        return questions

    def _status_filter(self, status: str) -> Q:
        cards = Card.objects.filter(user=self.user, question=OuterRef("pk"))
        if status == "new":
            return ~Exists(cards.filter(reps__gt=0))
        if status == "due":
            return Exists(cards.filter(reps__gt=0, suspended=False, due__lte=timezone.now()))
        return Exists(cards.filter(**{status: True}))

    def querystring(self) -> str:
        """The active filters, for pagination links."""
        if not self.is_bound:
            return ""
        pairs = [(k, v) for k, v in self.data.items() if k in self.fields and v]
        return urlencode(pairs)
