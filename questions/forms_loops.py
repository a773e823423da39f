"""Forms for the user's interview loops: the welcome steps, a loop, a stage, a question the user
was asked."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from questions import loops
from questions.models import InterviewLoop, Round, Stage, Track

OUTCOME_CHOICES = [
    ("", "Not done yet"),
    (Stage.Outcome.WAITING, "Done, waiting to hear"),
    (Stage.Outcome.PASSED, "Passed"),
    (Stage.Outcome.FAILED, "Did not pass"),
]


class TrackChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, track: Track) -> str:
        return f"{track.name}: {track.description}" if track.description else track.name


class RoundChoiceField(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            queryset=Round.objects.all(),
            to_field_name="slug",
            required=False,
            empty_label="None (no bank round)",
            **kwargs,
        )


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def check_stage_date(form: forms.Form, cleaned: dict) -> None:
    """A date more than two years ahead is a typo; a date already past needs the outcome."""
    date: datetime.date | None = cleaned.get("date")
    if date is None:
        return
    today = timezone.localdate()
    if (date - today).days > loops.MAX_DAYS_AHEAD:
        form.add_error("date", "That is more than two years ahead: check the year.")
    elif date < today and not cleaned.get("outcome"):
        form.add_error(
            "outcome",
            "This day has passed: say how it went (waiting to hear, passed or did not pass).",
        )


def same_company(user_id: int, company: str, exclude: InterviewLoop | None = None) -> bool:
    loops_ = InterviewLoop.objects.filter(
        user_id=user_id, archived_at__isnull=True, company__iexact=company
    )
    if exclude is not None:
        loops_ = loops_.exclude(pk=exclude.pk)
    return loops_.exists()


class CompanyFieldMixin:
    """`company`, refused when the user already has an active loop of that name."""

    user_id: int | None = None
    loop: InterviewLoop | None = None

    def clean_company(self) -> str:
        company = " ".join(self.cleaned_data["company"].split())
        if not company:
            raise forms.ValidationError("Name the company.")
        if self.user_id is not None and same_company(self.user_id, company, self.loop):
            raise forms.ValidationError(
                f"You already have a {company} loop: change it on the Loop page, or give this "
                "one another name."
            )
        return company


class OnboardingForm(CompanyFieldMixin, forms.Form):
    track = TrackChoiceField(
        queryset=Track.objects.order_by("slug"),
        to_field_name="slug",
        empty_label=None,
        widget=forms.RadioSelect,
        label="Which internship are you preparing for?",
    )
    company = forms.CharField(
        max_length=100,
        initial=loops.DEFAULT_COMPANY,
        help_text="The stages below are Pinterest's process; change them for another company.",
    )
    minutes_per_day = forms.IntegerField(
        label="Minutes a day",
        min_value=5,
        max_value=600,
        initial=30,
        help_text="How long you mean to practise on a usual day (5 to 600): the plan fits into it.",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id = user.pk if user is not None else None


class StageRowForm(forms.Form):
    """One stage of the welcome steps; the date is optional."""

    name = forms.CharField(max_length=100, label="Stage")
    round = RoundChoiceField(label="Practises")
    date = forms.DateField(required=False, widget=_date_input())
    outcome = forms.ChoiceField(choices=OUTCOME_CHOICES, required=False, label="How it went")

    def clean(self):
        cleaned = super().clean()
        check_stage_date(self, cleaned)
        return cleaned


class BaseStageRowFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["DELETE"].label = "Leave this stage out"
        # Every row offers the same rounds: read them once, not once per row.
        if not hasattr(self, "_round_choices"):
            self._round_choices = list(form.fields["round"].choices)
        form.fields["round"].choices = self._round_choices

    def drafts(self) -> list[loops.StageDraft]:
        return [
            loops.StageDraft(
                name=" ".join(f.cleaned_data["name"].split()),
                round=f.cleaned_data.get("round"),
                date=f.cleaned_data.get("date"),
                outcome=f.cleaned_data.get("outcome") or "",
            )
            for f in self.forms
            if not f.cleaned_data.get("DELETE")
        ]


StageRowFormSet = forms.formset_factory(
    StageRowForm,
    formset=BaseStageRowFormSet,
    extra=0,
    can_delete=True,
    max_num=20,
    validate_max=True,
    absolute_max=20,
)


def stage_rows_initial(drafts: list[loops.StageDraft]) -> list[dict]:
    return [
        {
            "name": d.name,
            "round": d.round.slug if d.round else "",
            "date": d.date,
            "outcome": d.outcome,
        }
        for d in drafts
    ]


class LoopForm(CompanyFieldMixin, forms.Form):
    """A new loop for another company."""

    company = forms.CharField(max_length=100)
    start = forms.ChoiceField(
        choices=[
            ("bank", "With the bank's stages for my track"),
            ("empty", "Empty: I will add the stages"),
        ],
        initial="bank",
        widget=forms.RadioSelect,
        label="Start",
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id = user.pk if user is not None else None


class RenameLoopForm(CompanyFieldMixin, forms.Form):
    company = forms.CharField(max_length=100)

    def __init__(self, *args, loop: InterviewLoop, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id = loop.user_id
        self.loop = loop


class StageForm(forms.ModelForm):
    round = RoundChoiceField(label="Practises")
    outcome = forms.ChoiceField(choices=OUTCOME_CHOICES, required=False, label="How it went")

    class Meta:
        model = Stage
        fields = ["name", "round", "date", "outcome", "notes"]
        widgets = {"date": _date_input(), "notes": forms.Textarea(attrs={"rows": 4})}
        labels = {"name": "Stage"}
        help_texts = {"date": "Optional. Readiness for this stage's round is predicted for it."}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The round is chosen by slug: the initial value must be the slug, not the row id.
        if self.instance.round_id:
            self.initial["round"] = self.instance.round.slug

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Name the stage.")
        return name

    def clean(self):
        cleaned = super().clean()
        check_stage_date(self, cleaned)
        return cleaned


class NewStageForm(StageForm):
    class Meta(StageForm.Meta):
        fields = ["name", "round", "date", "outcome"]


class AskedForm(forms.Form):
    text = forms.CharField(
        max_length=loops.MAX_ASKED_CHARS,
        label="A question I was asked",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The first line becomes its title if you make it a practice question.",
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError("Write the question first.")
        return text


class PracticeRoundForm(forms.Form):
    """For a stage without a round: which round the practice question is for."""

    round = RoundChoiceField(label="For the round")
