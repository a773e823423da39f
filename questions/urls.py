from django.urls import path

from questions.views import bank, settings

app_name = "questions"

urlpatterns = [
    # The question bank
    path("bank/", bank.bank_list, name="list"),
    path("q/<slug:slug>/", bank.question_detail, name="detail"),
    # The user's preferences
    path("settings/", settings.user_settings, name="settings"),
]
