from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from questions import tasks, throttle
from questions.forms import SignUpForm, ThrottledAuthenticationForm, ThrottledPasswordResetForm


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
        response = redirect("questions:onboarding")  # the welcome steps: track, loop, dates
        throttle.remember_browser(request, response, user.get_username())
        return response
    return render(request, "registration/signup.html", {"form": form})


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page, throttled, that only enqueues the mail: the task looks the address
    up and sends, so the request does the same work whether or not an account uses it."""

    form_class = ThrottledPasswordResetForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        tasks.send_password_reset_email.enqueue(
            email=form.cleaned_data["email"],
            domain=self.request.get_host(),
            protocol="https" if self.request.is_secure() else "http",
        )
        return HttpResponseRedirect(self.get_success_url())


password_reset_view = PasswordResetView.as_view()
