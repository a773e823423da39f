"""A user's own questions: the list, write (with a live preview), edit, duplicate, delete.

Only the owner may change a question: every view that changes one finds it through
`_get_own_question`, which answers 404 for anyone else's question and for the built-in bank.
Duplicating reads through the bank's visibility rule, so a shared or built-in question can
be copied but another user's private one cannot even be seen.
"""

import time

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from questions import authoring, runner
from questions.bankfile import MAX_ITEMS, MAX_SECTION_CHARS, MAX_TEXT_SECTION_CHARS
from questions.forms_authoring import QuestionForm
from questions.models import Question
from questions.models.question import RUNNABLE_KINDS
from questions.rendering import math, render_code, render_markdown
from questions.views.bank import _get_question_for_user

PAGE_SIZE = 50
FORM_TEMPLATE = "questions/my_question_form.html"
TEXT_FIELDS = ("title", "kind", "difficulty", "language", "tags", "prompt", "answer", "rubric",
               "hints", "choices", "starter", "solution")  # fmt: skip
# The preview renders what is typed, valid or not, every time the typing pauses (and a page
# with an invalid form shows it too). Each user may have PREVIEWS_PER_WINDOW of them, and
# PREVIEW_CHARS_PER_WINDOW characters rendered, per PREVIEW_WINDOW seconds: far more than
# typing makes, far less than a script would need to keep a worker busy.
PREVIEW_WINDOW = 10
PREVIEWS_PER_WINDOW = 30
PREVIEW_CHARS_PER_WINDOW = 200_000
TOO_LONG = "<p><em>Too long to preview.</em></p>"


def _get_own_question(request: HttpRequest, slug: str) -> Question:
    """The user's own question with this slug; 404 for every other question."""
    queryset = authoring.with_parts(Question.objects.filter(owner=request.user))
    return get_object_or_404(queryset, slug=slug)


@require_GET
def my_questions(request: HttpRequest) -> HttpResponse:
    questions = (
        Question.objects.filter(owner=request.user)
        .select_related("category")
        .annotate(learners=Count("cards__user", filter=~Q(cards__user=request.user), distinct=True))
        .order_by("-updated_at", "pk")
    )
    page = Paginator(questions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "questions/my_questions.html", {"page": page})


@require_http_methods(["GET", "POST"])
def question_create(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _form_page(request, QuestionForm(), None)
    form = QuestionForm(request.POST)
    if _wants_preview(request) or not _valid_and_checked(request, form):
        return _form_page(request, form, None)
    question = authoring.create_question(
        form.parsed, owner=request.user, visibility=form.cleaned_data["visibility"]
    )
    messages.success(request, f"Saved “{question.title}”. It is in the bank and in practice now.")
    return redirect("questions:detail", slug=question.slug)


@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, slug: str) -> HttpResponse:
    question = _get_own_question(request, slug)
    if request.method == "GET":
        parsed = authoring.parsed_from_question(question)
        form = QuestionForm(initial=authoring.form_initial(parsed, question.visibility), slug=slug)
        return _form_page(request, form, question)
    form = QuestionForm(request.POST, slug=slug)
    if _wants_preview(request) or not _valid_and_checked(request, form, question):
        return _form_page(request, form, question)
    authoring.save_question(
        form.parsed,
        owner=request.user,
        visibility=form.cleaned_data["visibility"],
        question=question,
    )
    messages.success(request, f"Saved “{form.parsed.title}”.")
    return redirect("questions:detail", slug=question.slug)


@require_GET
def question_duplicate(request: HttpRequest, slug: str) -> HttpResponse:
    """The new-question form filled with a copy of a question the user can see. Nothing is
    saved until they submit it."""
    source = _get_question_for_user(request, slug)
    parsed = authoring.parsed_from_question(source)
    parsed.title = f"Copy of {parsed.title}"[:200]
    form = QuestionForm(initial=authoring.form_initial(parsed))
    return _form_page(request, form, None, duplicate_of=source)


@require_http_methods(["GET", "POST"])
def question_delete(request: HttpRequest, slug: str) -> HttpResponse:
    question = _get_own_question(request, slug)
    if request.method == "POST":
        title = question.title
        question.delete()
        messages.success(request, f"Deleted “{title}” and all progress on it.")
        return redirect("questions:my_questions")
    others = question.cards.exclude(user=request.user).values("user").distinct().count()
    return render(
        request, "questions/my_question_delete.html", {"question": question, "others": others}
    )


@require_POST
def question_preview(request: HttpRequest) -> HttpResponse:
    """The live preview: the form's text rendered as the question page will show it, and what
    still stops it from being saved. It takes no slug, reads no question and writes nothing.
    Too many in a few seconds: 429, with a message for the preview area (static/js/preview.js
    shows it and asks again after Retry-After)."""
    preview = _preview(QuestionForm(request.POST), request.user)
    response = render(request, FORM_TEMPLATE + "#preview", {"preview": preview})
    if preview.get("paused"):
        response.status_code = 429
        response["Retry-After"] = str(preview["paused"])
    return response


def _wants_preview(request: HttpRequest) -> bool:
    # Without JavaScript the Preview button posts the form to its own page.
    return request.POST.get("action") == "preview"


def _valid_and_checked(
    request: HttpRequest, form: QuestionForm, question: Question | None = None
) -> bool:
    """Valid, and for a coding or review question the reference solution passes its tests (and a
    review question's flawed code fails them); checked only when the code or tests changed:
    what is stored already passed."""
    if not form.is_valid():
        return False
    parsed = form.parsed
    if parsed.kind not in RUNNABLE_KINDS:
        return True
    if question is not None and (
        question.kind,
        question.language,
        question.starter_code if parsed.kind == Question.Kind.REVIEW else "",
        question.solution_code,
        question.test_code,
        question.wrong_answers,
        question.complexity,
    ) == (
        parsed.kind,
        parsed.language,
        parsed.starter if parsed.kind == Question.Kind.REVIEW else "",
        parsed.solution,
        parsed.tests,
        parsed.wrong_answers,
        parsed.complexity,
    ):
        return True
    if problem := authoring.check_solution(request.user, parsed):
        field, message = problem
        form.add_error(field, message)
        return False
    return True


def _form_page(
    request: HttpRequest,
    form: QuestionForm,
    question: Question | None,
    *,
    duplicate_of: Question | None = None,
) -> HttpResponse:
    # An edit or a duplicate opens with the preview of what is already there.
    shown = form if form.is_bound else QuestionForm(form.initial) if form.initial else None
    context = {
        "form": form,
        "question": question,
        "duplicate_of": duplicate_of,
        "preview": _preview(shown, request.user) if shown else None,
        "runner_mode": runner.mode(),
    }
    return render(request, FORM_TEMPLATE, context)


def _render(text: str) -> str:
    return TOO_LONG if len(text) > MAX_TEXT_SECTION_CHARS else render_markdown(text)


def _render_items(text: str, items: list[str]) -> list[str]:
    """Each item of a list field (at most one past the bank's limit: the form reports the
    excess), or one 'too long' when the field is over the limit."""
    if len(text) > MAX_TEXT_SECTION_CHARS:
        return [TOO_LONG]
    return [render_markdown(item) for item in items[: MAX_ITEMS + 1]]


def _preview_wait(user_id: int, chars: int) -> int | None:
    """Count a preview of `chars` characters against the user's allowance: None when it may be
    rendered, otherwise the seconds until the next window. Kept in the shared cache, so the
    limit holds across workers and servers."""
    now = time.time()
    key = f"preview:{user_id}:{int(now // PREVIEW_WINDOW)}"
    counts = []
    for suffix, amount in ((":n", 1), (":chars", chars)):
        cache.add(key + suffix, 0, timeout=2 * PREVIEW_WINDOW)
        try:
            counts.append(cache.incr(key + suffix, amount))
        except ValueError:  # expired between add and incr
            cache.set(key + suffix, amount, timeout=2 * PREVIEW_WINDOW)
            counts.append(amount)
    if counts[0] > PREVIEWS_PER_WINDOW or counts[1] > PREVIEW_CHARS_PER_WINDOW:
        return int(PREVIEW_WINDOW - now % PREVIEW_WINDOW) + 1
    return None


def _label(form: QuestionForm, name: str) -> str:
    if name not in form.fields:
        return ""
    return form.fields[name].label or name.replace("_", " ").capitalize()


def _preview(form: QuestionForm, user) -> dict:
    """What the question page would show, from the raw posted text (so it follows the typing
    even while the form is not valid yet), and the problems left; {"paused": seconds} when the
    user has had their share of previews for now."""
    data = {name: authoring.normalise(str(form.data.get(name) or "")) for name in TEXT_FIELDS}
    kind = data["kind"] if data["kind"] in Question.Kind.values else Question.Kind.FLASHCARD
    language = data["language"] if data["language"] in {"python", "sql"} else "python"
    difficulty = data["difficulty"] if data["difficulty"] in Question.Difficulty.values else ""
    shown = ["prompt", "answer", "rubric", "hints"]
    shown += ["choices"] if kind == Question.Kind.CHOICE else []
    code = ["starter", "solution"] if kind in RUNNABLE_KINDS else []
    size = sum(len(data[name]) for name in shown if len(data[name]) <= MAX_TEXT_SECTION_CHARS)
    size += sum(len(data[name]) for name in code if len(data[name]) <= MAX_SECTION_CHARS)
    if wait := _preview_wait(user.pk, size):
        return {"paused": wait}
    choices, _ = authoring.parse_choice_lines(data["choices"])
    rendered_code = {
        name: render_code(data[name], language) if len(data[name]) <= MAX_SECTION_CHARS else ""
        for name in code
    }
    form.is_valid()
    problems = [
        (_label(form, name), error) for name, errors in form.errors.items() for error in errors
    ]
    # Formulas that cannot be read still save (shown as code), so the preview says which.
    problems += [
        (_label(form, name), problem)
        for name in shown
        if len(data[name]) <= MAX_TEXT_SECTION_CHARS
        for problem in math.problems(data[name])
    ]
    if kind != Question.Kind.CHOICE:
        preview_choices = []
    elif len(data["choices"]) > MAX_TEXT_SECTION_CHARS:
        preview_choices = [(TOO_LONG, False)]
    else:
        preview_choices = [(render_markdown(text), ok) for text, ok in choices[: MAX_ITEMS + 1]]
    return {
        "title": " ".join(data["title"].split()),
        "kind": kind,
        "difficulty": difficulty,
        "prompt_html": _render(data["prompt"]),
        "answer_html": _render(data["answer"]),
        "rubric": _render_items(data["rubric"], authoring.lines_to_items(data["rubric"])),
        "hints": _render_items(data["hints"], authoring.lines_to_items(data["hints"])),
        "choices": preview_choices,
        "starter_html": rendered_code.get("starter", ""),
        "solution_html": rendered_code.get("solution", ""),
        "tags": authoring.split_tags(data["tags"])[:10],
        "problems": problems,
        "is_coding": kind in RUNNABLE_KINDS,
        "is_review": kind == Question.Kind.REVIEW,
    }
