"""A user's own marks on a question: bookmark, suspend, personal note. POST only."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from questions.models import Card, Note
from questions.views.bank import _get_question_for_user

NOTE_MAX_CHARS = 20_000


def _back(request: HttpRequest, question) -> HttpResponse:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect("questions:detail", slug=question.slug)


def _toggle(request: HttpRequest, slug: str, field: str, on: str, off: str) -> HttpResponse:
    question = _get_question_for_user(request, slug)
    card, _ = Card.objects.get_or_create(user=request.user, question=question)
    value = request.POST.get("value") == "on"
    setattr(card, field, value)
    card.save(update_fields=[field])
    if request.htmx:
        return render(
            request,
            "questions/question_detail.html#card-actions",
            {"question": question, "card": card},
        )
    messages.success(request, on if value else off)
    return _back(request, question)


@require_POST
def bookmark(request: HttpRequest, slug: str) -> HttpResponse:
    return _toggle(request, slug, "bookmarked", "Bookmarked.", "Bookmark removed.")


@require_POST
def suspend(request: HttpRequest, slug: str) -> HttpResponse:
    return _toggle(
        request,
        slug,
        "suspended",
        "Suspended: it will not come up in practice.",
        "Back in practice.",
    )


@require_POST
def save_note(request: HttpRequest, slug: str) -> HttpResponse:
    question = _get_question_for_user(request, slug)
    text = request.POST.get("text", "")
    note = Note.objects.filter(user=request.user, question=question).first() or Note(
        user=request.user, question=question
    )
    error = None
    if len(text) > NOTE_MAX_CHARS:
        error = f"Notes are limited to {NOTE_MAX_CHARS:,} characters; yours has {len(text):,}."
        note.text = text  # shown back in the form, not saved
    elif text.strip():
        note.text = text
        note.save()
    elif note.pk:
        note.delete()
        note = Note(user=request.user, question=question)
    if request.htmx:
        return render(
            request,
            "questions/question_detail.html#note",
            {"question": question, "note": note, "note_error": error},
            status=400 if error else 200,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, "Note saved.")
    return _back(request, question)
