"""Forms for users' own questions: write one, import files, delete one's account."""

from django import forms
from django.http import HttpRequest

from questions import authoring, throttle
from questions.bankfile import (
    COMPLEXITY_RE,
    MAX_SECTION_CHARS,
    MAX_TEXT_SECTION_CHARS,
    MAX_TITLE_CHARS,
    BankFormatError,
    dump,
    parse,
    wrong_answer_blocks,
)
from questions.models import Category, Question, Round
from questions.models.question import RUNNABLE_KINDS

CODE_LANGUAGES = [("python", "Python"), ("sql", "SQL")]
VISIBILITIES = [
    (Question.Visibility.PRIVATE, "Private: only you"),
    (Question.Visibility.SHARED, "Shared with every signed-in user"),
]


def _textarea(
    rows: int, *, code: bool = False, placeholder: str = "", language: str = ""
) -> forms.Textarea:
    """A textarea; a code one becomes the code editor, highlighting `language`, or by default
    the language chosen in the form's language field."""
    attrs = {"rows": rows, "placeholder": placeholder}
    if code:
        attrs |= {"class": "code", "spellcheck": "false", "autocomplete": "off"}
        attrs |= {"data-language": language} if language else {"data-language-from": "id_language"}
    return forms.Textarea(attrs=attrs)


class QuestionForm(forms.Form):
    """A question in the bank format, one field per part. `clean()` writes the bank file and
    runs it through the bank's own parser; `self.parsed` is the result when valid."""

    title = forms.CharField(max_length=MAX_TITLE_CHARS)
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(), to_field_name="slug", empty_label="Choose a category"
    )
    kind = forms.ChoiceField(
        choices=Question.Kind.choices,
        initial=Question.Kind.FLASHCARD,
        help_text="Flashcard: recall an answer. Choice: pick the right options. Coding: code "
        "checked by tests. Design: talk through a system.",
    )
    difficulty = forms.ChoiceField(
        choices=Question.Difficulty.choices, initial=Question.Difficulty.MEDIUM
    )
    rounds = forms.ModelMultipleChoiceField(
        queryset=Round.objects.all(),
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
        help_text="The interview rounds where this question comes up.",
    )
    tags = forms.CharField(
        required=False,
        max_length=400,
        help_text="Optional, comma separated, lowercase: pca, linear-algebra",
    )
    visibility = forms.ChoiceField(
        choices=VISIBILITIES,
        initial=Question.Visibility.PRIVATE,
        widget=forms.RadioSelect,
        help_text="Private: only you. Shared: every signed-in user can read and practise it; "
        "only you can edit it.",
    )
    prompt = forms.CharField(
        max_length=MAX_TEXT_SECTION_CHARS,
        strip=False,
        widget=_textarea(8, placeholder="The question, in Markdown. ```python fences code."),
    )
    answer = forms.CharField(
        max_length=MAX_TEXT_SECTION_CHARS,
        strip=False,
        label="Model answer",
        widget=_textarea(8, placeholder="A model answer, in Markdown."),
    )
    rubric = forms.CharField(
        max_length=MAX_TEXT_SECTION_CHARS,
        label="Rubric points",
        help_text="What an interviewer listens for: one point per line (at least one). Indent "
        "a line to continue the point above.",
        widget=_textarea(4),
    )
    hints = forms.CharField(
        required=False,
        max_length=MAX_TEXT_SECTION_CHARS,
        help_text="Optional, one per line, shown one at a time.",
        widget=_textarea(3),
    )
    choices = forms.CharField(
        required=False,
        max_length=MAX_TEXT_SECTION_CHARS,
        label="Options",
        help_text="One option per line: [x] for a correct one, [ ] for a wrong one.",
        widget=_textarea(4, placeholder="[x] A correct option\n[ ] A wrong option"),
    )
    language = forms.ChoiceField(choices=CODE_LANGUAGES, required=False, initial="python")
    starter = forms.CharField(
        required=False,
        max_length=MAX_SECTION_CHARS,
        strip=False,
        label="Starter code, or the flawed code",
        help_text="Coding: what the editor starts with. Review: the AI-written code with the "
        "bug, which the user catches with a test and fixes; it must fail the tests.",
        widget=_textarea(6, code=True),
    )
    solution = forms.CharField(
        required=False,
        max_length=MAX_SECTION_CHARS,
        strip=False,
        label="Reference solution",
        help_text="It must pass every test before the question is saved.",
        widget=_textarea(8, code=True),
    )
    tests = forms.CharField(
        required=False,
        max_length=MAX_SECTION_CHARS,
        strip=False,
        help_text="Python: def test_...(): functions calling the solution's functions by name "
        "(SQL: the query is the global QUERY). Tests named test_example... run with 'Run "
        "examples'.",
        widget=_textarea(8, code=True, language="python"),
    )
    complexity = forms.CharField(
        required=False,
        max_length=60,
        label="Required time complexity",
        help_text="Optional, e.g. O(n log n): the tests must enforce it (a too-slow solution then "
        "hears it is too slow for it).",
    )
    wrong_answers = forms.CharField(
        required=False,
        max_length=MAX_SECTION_CHARS,
        strip=False,
        label="Wrong answers",
        help_text="Optional: plausible wrong solutions, each a fenced code block (```python ... "
        "```) with a comment saying what is wrong. The question is saved only if the tests "
        "reject every one.",
        widget=_textarea(
            8,
            code=True,
            placeholder="```python\ndef double(x):\n    return x + 2  # adds 2 instead of doubling\n```",
        ),
    )

    # (legend, note, kind the group is only for, fields) for the template's fieldsets.
    GROUPS = (
        (
            "About the question",
            "",
            "",
            ("title", "category", "kind", "difficulty", "rounds", "tags"),
        ),
        ("Question and answer", "", "", ("prompt", "answer", "rubric", "hints")),
        ("Options", "choice questions", "choice", ("choices",)),
        (
            "Code",
            "coding and review questions",
            "code",
            ("language", "starter", "solution", "tests", "complexity", "wrong_answers"),
        ),
        ("Who can see it", "", "", ("visibility",)),
    )

    def __init__(self, *args, slug: str = "question", **kwargs):
        super().__init__(*args, **kwargs)
        self.slug = slug
        self.parsed = None

    def groups(self) -> list[tuple]:
        return [
            (legend, note, kind, [self[name] for name in names])
            for legend, note, kind, names in self.GROUPS
        ]

    def clean_prompt(self) -> str:
        return self._markdown("prompt")

    def clean_answer(self) -> str:
        return self._markdown("answer")

    def _markdown(self, name: str) -> str:
        text = self.cleaned_data[name]
        if not text.strip():
            raise forms.ValidationError("This field is required.", code="required")
        if line := authoring.section_heading_line(text):
            raise forms.ValidationError(
                f"Line {line}: a line starting with '## ' would begin a new part of the "
                "question. Use ### for a heading here."
            )
        return text

    def clean_complexity(self) -> str:
        text = self.cleaned_data["complexity"].strip()
        if text and not COMPLEXITY_RE.fullmatch(text):
            raise forms.ValidationError("Write it as O(...), for example O(n log n).")
        return text

    def clean_wrong_answers(self) -> str:
        text = self.cleaned_data["wrong_answers"]
        language = self.data.get(self.add_prefix("language")) or "python"
        if self.data.get(self.add_prefix("kind")) in RUNNABLE_KINDS:
            try:
                wrong_answer_blocks(authoring.normalise(text), language, "wrong answers")
            except BankFormatError as exc:
                raise forms.ValidationError(exc.reason) from None
        return text

    def clean_choices(self) -> str:
        text = self.cleaned_data["choices"]
        if self.data.get(self.add_prefix("kind")) == Question.Kind.CHOICE:
            _, problem = authoring.parse_choice_lines(text)
            if problem:
                raise forms.ValidationError(problem)
        return text

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == Question.Kind.CHOICE and not (cleaned.get("choices") or "").strip():
            self.add_error("choices", "A choice question needs its options.")
        if kind in RUNNABLE_KINDS:
            if not cleaned.get("language"):
                self.add_error("language", "Choose the language of the code.")
            required = (
                ("starter", "solution", "tests") if kind == "review" else ("solution", "tests")
            )
            for name in required:
                if name in cleaned and not cleaned[name].strip():
                    self.add_error(name, f"A {Question.Kind(kind).label} question needs this.")
            for name in authoring.CODE_FIELDS:
                if line := authoring.fence_line(cleaned.get(name) or ""):
                    self.add_error(name, f"Line {line}: a line of only ``` would end the code.")
        if self.errors:
            return cleaned
        self.parsed = self._through_the_parser(cleaned)
        return cleaned

    def _through_the_parser(self, cleaned: dict):
        """Write the bank file and parse it back; map any problem to its field."""
        expected = authoring.parsed_from_fields(cleaned, self.slug)
        text = dump(expected)
        try:
            parsed = parse(text, f"{self.slug}.md")
        except BankFormatError as exc:
            field, line = authoring.locate_error(text, exc.line, exc.reason)
            message = f"Line {line}: {exc.reason}" if line else exc.reason
            self.add_error(field if field in self.fields else None, message)
            return None
        if field := authoring.first_difference(expected, parsed):
            self.add_error(
                field if field in self.fields else None,
                "This part does not read back as written: look for an unclosed ``` code block.",
            )
            return None
        parsed.slug = self.slug
        return parsed


class ImportForm(forms.Form):
    file = forms.FileField(
        help_text="A question file in the bank format (.md), a .zip of them, or a .csv of "
        "front,back pairs (as Anki exports), at most 2 MB."
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(),
        to_field_name="slug",
        required=False,
        empty_label="Choose a category",
        help_text="CSV only: the category of the cards.",
    )
    rounds = forms.ModelMultipleChoiceField(
        queryset=Round.objects.all(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="CSV only: the rounds the cards are for.",
    )
    visibility = forms.ChoiceField(
        choices=VISIBILITIES,
        initial=Question.Visibility.PRIVATE,
        widget=forms.RadioSelect,
        help_text="For new questions; questions you already have keep theirs.",
    )

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload and upload.name.lower().endswith((".csv", ".tsv", ".txt")):
            if not cleaned.get("category"):
                self.add_error("category", "Choose the category of the cards in this CSV.")
            if not cleaned.get("rounds"):
                self.add_error("rounds", "Choose at least one round for the cards in this CSV.")
        return cleaned


class DeleteAccountForm(forms.Form):
    """Re-enter the password: a session left open must not be enough to erase an account."""

    password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, request: HttpRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        user = self.request.user
        if throttle.is_locked_out(self.request, user.get_username()):
            raise forms.ValidationError(
                f"Too many wrong passwords. Try again in {throttle.lockout_minutes()} minutes."
            )
        if not user.check_password(password):
            throttle.record_failure(self.request, user.get_username())
            raise forms.ValidationError("That is not your password.")
        return password
