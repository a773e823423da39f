from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from questions import throttle
from questions.forms import SignUpForm, ThrottledAuthenticationForm


class LoginView(auth_views.LoginView):
    """Django's own login view (session rotation, safe `next` handling), with our throttled
    form; a successful sign-in marks the browser as known to the account (see throttle)."""

    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        throttle.remember_browser(self.request, response, form.get_user().get_username())
        return response


login_view = LoginView.as_view()


@login_not_required
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST if request.method == "POST" else None, request=request)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}! Your account is ready.")
        response = redirect("home")
        throttle.remember_browser(request, response, user.get_username())
        return response
    return render(request, "registration/signup.html", {"form": form})
