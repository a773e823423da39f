from django.urls import path

from questions.views import (
    authoring,
    bank,
    cards,
    code,
    dashboard,
    loops,
    mock,
    mock_debrief,
    mock_run,
    onboarding,
    practice,
    settings,
    transfer,
)

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
    path("runs/<int:run_id>/", code.run_status, name="run_status"),
    # Practice with spaced repetition
    path("practice/", practice.practice_home, name="practice"),
    path("practice/session/", practice.practice_session, name="practice_session"),
    path("practice/reveal/", practice.practice_reveal, name="practice_reveal"),
    path("practice/rate/", practice.practice_rate, name="practice_rate"),
    path("practice/more-new/", practice.practice_more_new, name="practice_more_new"),
    # Readiness per round and timed mock interviews
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("mock/", mock.mock_list, name="mock_list"),
    path("mock/start/", mock.mock_start, name="mock_start"),
    path("mock/<int:mock_id>/", mock.mock_detail, name="mock_detail"),
    path("mock/<int:mock_id>/answer/<int:position>/", mock_run.mock_answer, name="mock_answer"),
    path("mock/<int:mock_id>/move/", mock_run.mock_move, name="mock_move"),
    path(
        "mock/<int:mock_id>/follow-ups/<int:position>/",
        mock_run.mock_follow_ups,
        name="mock_follow_ups",
    ),
    path("mock/<int:mock_id>/run/<int:position>/", mock_run.mock_run_code, name="mock_run"),
    path("mock/<int:mock_id>/finish/", mock_run.mock_finish, name="mock_finish"),
    path("mock/<int:mock_id>/rate/", mock_debrief.mock_rate, name="mock_rate"),
    # Interview loops: the welcome steps and the loop tracker
    path("welcome/", onboarding.onboarding, name="onboarding"),
    path("loops/", loops.loop_list, name="loops"),
    path("loops/new/", loops.loop_new, name="loop_new"),
    path("loops/<int:loop_id>/rename/", loops.loop_rename, name="loop_rename"),
    path("loops/<int:loop_id>/archive/", loops.loop_archive, name="loop_archive"),
    path("loops/<int:loop_id>/delete/", loops.loop_delete, name="loop_delete"),
    path("loops/<int:loop_id>/stages/new/", loops.stage_new, name="stage_new"),
    path("stages/<int:stage_id>/edit/", loops.stage_edit, name="stage_edit"),
    path("stages/<int:stage_id>/move/", loops.stage_move, name="stage_move"),
    path("stages/<int:stage_id>/delete/", loops.stage_delete, name="stage_delete"),
    path("stages/<int:stage_id>/asked/", loops.asked_add, name="asked_add"),
    path("asked/<int:asked_id>/practice/", loops.asked_practice, name="asked_practice"),
    path("asked/<int:asked_id>/delete/", loops.asked_delete, name="asked_delete"),
    # The user's preferences
    path("settings/", settings.user_settings, name="settings"),
    # My questions, import and export
    path("my/", authoring.my_questions, name="my_questions"),
    path("my/new/", authoring.question_create, name="my_new"),
    path("my/preview/", authoring.question_preview, name="my_preview"),
    path("my/q/<slug:slug>/edit/", authoring.question_edit, name="my_edit"),
    path("my/q/<slug:slug>/duplicate/", authoring.question_duplicate, name="my_duplicate"),
    path("my/q/<slug:slug>/delete/", authoring.question_delete, name="my_delete"),
    path("my/q/<slug:slug>/export/", transfer.export_question, name="my_export_one"),
    path("my/import/", transfer.import_questions, name="my_import"),
    path("my/import/confirm/", transfer.import_confirm, name="my_import_confirm"),
    path("my/export/questions/", transfer.export_questions, name="my_export"),
    path("my/export/data/", transfer.export_data, name="my_export_data"),
    path("my/account/delete/", transfer.delete_account, name="account_delete"),
]
