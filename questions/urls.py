from django.urls import path

from questions.views import bank, cards, code, dashboard, mock, practice, settings

app_name = "questions"

urlpatterns = [
    # The question bank
    path("bank/", bank.bank_list, name="list"),
    path("q/<slug:slug>/", bank.question_detail, name="detail"),
    # The user's marks on a question
    path("q/<slug:slug>/bookmark/", cards.bookmark, name="bookmark"),
    path("q/<slug:slug>/suspend/", cards.suspend, name="suspend"),
    path("q/<slug:slug>/note/", cards.save_note, name="note"),
    # Coding questions: draft autosave, Run (examples) and Submit (all tests)
    path("q/<slug:slug>/draft/", code.save_draft, name="draft"),
    path("q/<slug:slug>/run/", code.run_code, name="run"),
    # Practice with spaced repetition
    path("practice/", practice.practice_home, name="practice"),
    path("practice/session/", practice.practice_session, name="practice_session"),
    path("practice/reveal/", practice.practice_reveal, name="practice_reveal"),
    path("practice/rate/", practice.practice_rate, name="practice_rate"),
    # Readiness per round and timed mock interviews
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("mock/", mock.mock_list, name="mock_list"),
    path("mock/start/", mock.mock_start, name="mock_start"),
    path("mock/<int:mock_id>/", mock.mock_detail, name="mock_detail"),
    path("mock/<int:mock_id>/answer/<int:position>/", mock.mock_answer, name="mock_answer"),
    path("mock/<int:mock_id>/finish/", mock.mock_finish, name="mock_finish"),
    path("mock/<int:mock_id>/rate/", mock.mock_rate, name="mock_rate"),
    # The user's preferences
    path("settings/", settings.user_settings, name="settings"),
]
