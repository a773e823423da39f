from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from questions.models import Profile


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["track", "interview_date", "desired_retention", "new_per_day", "hide_difficulty"]
        widgets = {"interview_date": forms.DateInput(attrs={"type": "date"})}


@require_http_methods(["GET", "POST"])
def user_settings(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(
        request.POST if request.method == "POST" else None, instance=Profile.for_user(request.user)
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Settings saved.")
        return redirect("questions:settings")
    return render(request, "questions/settings.html", {"form": form})
