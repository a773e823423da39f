"""The bank list's filters: one form that validates the query string and filters a queryset."""

from urllib.parse import urlencode

from django import forms

from questions.models import Category, Question, Round


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

    def __init__(self, *args, hide_difficulty: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
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
        return questions

    def querystring(self) -> str:
        """The active filters, for pagination links."""
        if not self.is_bound:
            return ""
        pairs = [(k, v) for k, v in self.data.items() if k in self.fields and v]
        return urlencode(pairs)
