from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from questions.views import accounts, pages

urlpatterns = [
    path("", pages.home, name="home"),
    # Accounts: our throttled login, sign-up and password reset, Django's views for the rest.
    path("accounts/login/", accounts.login_view, name="login"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/password/reset/", accounts.password_reset_view, name="password_reset"),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("admin/", admin.site.urls),
    path("", include("questions.urls")),
]

if settings.PREP_BENCH:
    from prep.bench import bare, bare_signed_in

    urlpatterns += [
        path("bench/bare/", bare, name="bench_bare"),
        path("bench/bare-signed-in/", bare_signed_in, name="bench_bare_signed_in"),
    ]
