"""Take questions in and data out: import (preview, then confirm), exports, account deletion.

Uploads never touch the disk: `MemoryOnlyUploadHandler` keeps the bytes in memory and stops
keeping them past the size limit. The preview's questions wait in the user's session (stored
server-side) for the confirmation, which writes them all or nothing. Exports are attachments,
never pages, so a user's text is never served back as HTML.
"""

import io
import json
import secrets

from django.contrib import messages
from django.contrib.auth import logout
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopFutureHandlers
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from questions import authoring, exporting, importing
from questions.bankfile import dump
from questions.forms_authoring import DeleteAccountForm, ImportForm
from questions.models import Question
from questions.views.authoring import _get_own_question

SESSION_KEY = "import_plan"
IMPORT_TEMPLATE = "questions/my_import.html"


class MemoryOnlyUploadHandler(FileUploadHandler):
    """Keep uploaded files in memory only, at most `limit` bytes in all. Past the limit the
    rest is read and dropped, and the file reports its full size so the view can refuse it
    with a clear message instead of a broken connection."""

    def __init__(self, request=None, limit: int = importing.LIMITS.upload_bytes):
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()
        self.size = 0
        raise StopFutureHandlers()

    def receive_data_chunk(self, raw_data, start):
        self.size += len(raw_data)
        self.received += len(raw_data)
        if self.received <= self.limit:
            self.buffer.write(raw_data)
        return None

    def file_complete(self, file_size):
        truncated = self.received > self.limit
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=io.BytesIO() if truncated else self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=max(file_size, self.received) if truncated else file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


@csrf_exempt
@require_http_methods(["GET", "POST"])
def import_questions(request: HttpRequest) -> HttpResponse:
    # Upload handlers must be set before anything reads request.POST, and the CSRF check
    # reads it: so the check runs inside, after the handler is in place (Django's documented
    # pattern for custom upload handlers).
    request.upload_handlers = [MemoryOnlyUploadHandler(request)]
    return _import_questions(request)


@csrf_protect
def _import_questions(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, IMPORT_TEMPLATE, {"form": ImportForm()})
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, IMPORT_TEMPLATE, {"form": form}, status=400)
    upload = form.cleaned_data["file"]
    limit = importing.LIMITS.upload_bytes
    if upload.size > limit:
        plan = importing.Plan().refuse(
            upload.name, f"The file is larger than {limit // (1024 * 1024)} MB; nothing was read."
        )
    else:
        plan = importing.read_upload(
            upload.name,
            upload.read(),
            user=request.user,
            category=form.cleaned_data.get("category"),
            rounds=form.cleaned_data.get("rounds"),
        )
    token = ""
    request.session.pop(SESSION_KEY, None)
    if plan.can_import:
        token = secrets.token_urlsafe(16)
        request.session[SESSION_KEY] = {
            "token": token,
            "name": upload.name[:200],
            "visibility": form.cleaned_data["visibility"],
            "items": plan.to_session(),
        }
    context = {
        "form": ImportForm(),
        "plan": plan,
        "counts": {action: plan.count(action) for action in ("create", "update", "unchanged")},
        "token": token,
        "upload_name": upload.name,
    }
    return render(request, IMPORT_TEMPLATE, context, status=200 if not plan.errors else 400)


@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    stored = request.session.get(SESSION_KEY)
    if not stored or not secrets.compare_digest(stored["token"], request.POST.get("token", "")):
        messages.error(request, "This import preview has expired. Upload the file again.")
        return redirect("questions:my_import")
    plan = importing.Plan.from_session(stored["items"])
    try:
        counts = importing.apply_plan(plan, user=request.user, visibility=stored["visibility"])
    except importing.ImportConflict as exc:
        messages.error(request, f"Nothing was imported: {exc}")
        return redirect("questions:my_import")
    finally:
        request.session.pop(SESSION_KEY, None)
    messages.success(
        request,
        f"Imported {stored['name']}: {counts['create']} created, {counts['update']} updated, "
        f"{counts['unchanged']} unchanged.",
    )
    return redirect("questions:my_questions")


def _attachment(content: bytes | str, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _stamp() -> str:
    return timezone.now().strftime("%Y%m%d")


@require_GET
def export_questions(request: HttpRequest) -> HttpResponse:
    data = exporting.export_zip(exporting.own_questions(request.user))
    name = f"prep-questions-{slugify(request.user.get_username()) or 'user'}-{_stamp()}.zip"
    return _attachment(data, name, "application/zip")


@require_GET
def export_question(request: HttpRequest, slug: str) -> HttpResponse:
    question = _get_own_question(request, slug)
    text = dump(authoring.parsed_from_question(question))
    # text/plain as an attachment: a user's Markdown is never rendered by the browser.
    return _attachment(
        text.encode(), f"{authoring.file_slug(question)}.md", "text/plain; charset=utf-8"
    )


@require_GET
def export_data(request: HttpRequest) -> HttpResponse:
    data = json.dumps(exporting.export_data(request.user), cls=DjangoJSONEncoder, indent=1)
    name = f"prep-data-{slugify(request.user.get_username()) or 'user'}-{_stamp()}.json"
    return _attachment(data.encode(), name, "application/json")


@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = DeleteAccountForm(request.POST if request.method == "POST" else None, request=request)
    if request.method == "POST" and form.is_valid():
        logout(request)
        user.delete()  # cascades to the user's questions, cards, reviews, notes and drafts
        messages.success(request, "Your account and everything in it were deleted.")
        return redirect("home")
    owned = Question.objects.filter(owner=user)
    context = {
        "form": form,
        "question_count": owned.count(),
        "shared_count": owned.filter(visibility=Question.Visibility.SHARED).count(),
    }
    return render(
        request, "questions/my_account_delete.html", context, status=400 if form.errors else 200
    )
