"""Browse the question bank: the filterable list and one question's page."""

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET

from questions import runner, search
from questions.content_cache import question_content
from questions.filters import BankFilterForm
from questions.models import Card, Draft, Note, Question
from questions.timezones import profile_for

PAGE_SIZE = 25
# Matches are counted up to here ("1,000+ questions"): counting every match of a common word
# in a large bank costs as much as ranking them, and nobody pages past 40 pages of results.
MAX_COUNTED = 1000


class BankPaginator(Paginator):
    """Pages of a filtered (and maybe searched) list of questions, in two light steps: count
    the matches without scoring them, then order only their ids, so the database sorts small
    rows, not whole questions; the page's questions are then loaded by id from `rows`."""

    def __init__(self, object_list, per_page, *, rows):
        super().__init__(object_list, per_page)
        self.rows = rows

    @cached_property
    def _counted(self) -> int:
        return search.count_matches(self.object_list, up_to=MAX_COUNTED + 1)

    @cached_property
    def count(self) -> int:
        return min(self._counted, MAX_COUNTED)

    @property
    def more_than_counted(self) -> bool:
        return self._counted > MAX_COUNTED

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        ids = list(self.object_list.values_list("pk", flat=True)[bottom : bottom + self.per_page])
        loaded = {question.pk: question for question in self.rows.filter(pk__in=ids)}
        return self._get_page([loaded[pk] for pk in ids if pk in loaded], number, self)


def _get_question_for_user(request: HttpRequest, slug: str) -> Question:
    """The question with this slug if the user may see it; 404 otherwise (never 403, which
    would confirm that a private question exists)."""
    question = question_content(slug)
    if question is None or not question.is_visible_to(request.user):
        raise Http404("No such question.")
    return question


@require_GET
def bank_list(request: HttpRequest) -> HttpResponse:
    profile = profile_for(request)
    form = BankFilterForm(
        request.GET or None, user=request.user, hide_difficulty=profile.hide_difficulty
    )
    my_cards = Card.objects.filter(user=request.user)
    rows = (
        Question.objects.visible_to(request.user)
        .select_related("category")
        .prefetch_related("tags", Prefetch("cards", queryset=my_cards, to_attr="my_cards"))
    )
    questions = form.apply(Question.objects.visible_to(request.user))
    page = BankPaginator(questions, PAGE_SIZE, rows=rows).get_page(request.GET.get("page"))
    searched = (
        search.parse(form.cleaned_data.get("q") or "")
        if form.is_bound and form.is_valid()
        else None
    )
    if searched and not searched.is_empty:
        # The words that matched, marked in the title and in an excerpt (only this page's rows).
        for question in page.object_list:
            question.title_html = search.highlight(question.title, searched)
            question.excerpt_html = search.snippet(question, searched)
    context = {
        "form": form,
        "page": page,
        "querystring": form.querystring(),
        "hide_difficulty": profile.hide_difficulty,
        "now": timezone.now(),
    }
    template = "questions/bank_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)


@require_GET
def question_detail(request: HttpRequest, slug: str) -> HttpResponse:
    question = _get_question_for_user(request, slug)
    if request.htmx and request.GET.get("hints"):
        return render_question_page(request, question, {}, partial="hints")
    return render_question_page(request, question, {})


def render_question_page(
    request: HttpRequest, question: Question, extra: dict, *, status: int = 200, partial: str = ""
) -> HttpResponse:
    """The question page; also used by POST views that answer without JavaScript."""
    hints = list(question.hints.all())
    try:
        shown_hints = max(0, min(int(request.GET.get("hints", 0)), len(hints)))
    except ValueError:
        shown_hints = 0
    choices = list(question.choices.all())
    picked = {int(p) for p in request.GET.getlist("pick") if p.isdigit()}
    draft = None
    if question.is_runnable:
        draft = Draft.objects.filter(user=request.user, question=question).first()
    context = {
        "question": question,
        "hints": hints[:shown_hints],
        "more_hints": shown_hints < len(hints),
        "next_hint": shown_hints + 1,
        "hint_count": len(hints),
        "choices": choices,
        "picked": picked,
        "checked": bool(picked) and question.kind == Question.Kind.CHOICE,
        "picked_right": picked == {c.position for c in choices if c.is_correct},
        "hide_difficulty": profile_for(request).hide_difficulty,
        "card": Card.objects.filter(user=request.user, question=question).first(),
        "note": Note.objects.filter(user=request.user, question=question).first(),
        "code": draft.code if draft and draft.code else question.starter_code,
        "test_code": draft.test_code if draft and draft.test_code else "",
        "runner_mode": runner.mode(),
        **extra,
    }
    template = "questions/question_detail.html" + (f"#{partial}" if partial else "")
    return render(request, template, context, status=status)
