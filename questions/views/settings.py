from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from questions.models import Profile
from questions.models.profile import known_timezones
from questions.timezones import browser_zone, profile_for


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = [
            "track",
            "interview_date",
            "desired_retention",
            "new_per_day",
            "minutes_per_day",
            "hide_difficulty",
            "timezone",
        ]
        widgets = {
            "interview_date": forms.DateInput(attrs={"type": "date"}),
            # Free text with the known names offered as you type (a datalist in the page).
            "timezone": forms.TextInput(
                attrs={
                    "list": "timezone-names",
                    "autocomplete": "off",
                    "spellcheck": "false",
                    "placeholder": "e.g. Europe/London",
                }
            ),
        }

    def __init__(self, *args, browser: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["timezone"]
        if browser:
            field.help_text = (
                f"Dates and times are shown in this zone. Leave it empty to follow your "
                f"browser: it says {browser}."
            )
        else:
            field.help_text = (
                "Dates and times are shown in this zone. Leave it empty to follow your "
                "browser; until it has said which zone it is in, times are in UTC."
            )


@require_http_methods(["GET", "POST"])
def user_settings(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(
        request.POST if request.method == "POST" else None,
        instance=profile_for(request),
        browser=browser_zone(request),
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Settings saved.")
        return redirect("questions:settings")
    return render(
        request,
        "questions/settings.html",
        {"form": form, "timezone_names": sorted(known_timezones())},
    )
