"""Practice: pick a scope, then answer, reveal, tick the rubric and rate, one card at a time.

GET shows the next card and changes nothing. Reveal is a POST only to carry the typed answer
without putting it in a URL; it writes nothing either. Only `rate` writes: one review per
(user, question, sequence), so a rating posted twice is recorded once.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

from django.contrib import messages
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from questions import readiness, runner, scheduling
from questions.forms import RatingForm
from questions.grading import RATING_HELP, suggested_rating
from questions.models import Card, Category, Draft, Note, Profile, Question, Rating, Review, Round
from questions.models.question import visible_q
from questions.queue import Scope, next_in_queue, parse_scope, practice_url
from questions.timezones import profile_for
from questions.views.bank import _get_question_for_user

SESSION_TEMPLATE = "questions/practice_session.html"
# "Add 5 more new questions today": kept in the user's session as [local day, extra], so it
# belongs to this sign-in and lapses at the user's midnight; the setting itself is unchanged.
EXTRA_NEW_KEY = "practice_extra_new"
EXTRA_NEW_STEP = 5
EXTRA_NEW_MAX = 200


def _now() -> datetime:
    return timezone.now().astimezone(UTC)


def _today():
    return timezone.localdate()


@require_GET
def practice_home(request: HttpRequest) -> HttpResponse:
    now = _now()
    user = request.user
    cards = Card.objects.filter(user=user, question=OuterRef("pk"))
    visible = Question.objects.visible_to(user).annotate(
        is_due=Exists(cards.filter(suspended=False, reps__gt=0, due__lte=now)),
        is_new=~Exists(cards.filter(Q(reps__gt=0) | Q(suspended=True))),
    )
    counts = {"due": Count("pk", filter=Q(is_due=True)), "new": Count("pk", filter=Q(is_new=True))}
    by_round = {row["rounds"]: row for row in visible.values("rounds").annotate(**counts)}
    by_category = {row["category"]: row for row in visible.values("category").annotate(**counts)}
    totals = visible.aggregate(**counts)
    rounds = list(Round.objects.all())
    categories = list(Category.objects.all())
    for round_ in rounds:
        row = by_round.get(round_.pk, {})
        round_.due, round_.new = row.get("due", 0), row.get("new", 0)
    for category in categories:
        row = by_category.get(category.pk, {})
        category.due, category.new = row.get("due", 0), row.get("new", 0)
    return render(
        request,
        "questions/practice_home.html",
        {
            "rounds": rounds,
            "categories": categories,
            "totals": totals,
            "started": int(now.timestamp()),
            "profile": profile_for(request),
        },
    )


def _started(request: HttpRequest, now: datetime) -> int:
    """When this practice session began (epoch seconds), for its summary; now if not given."""
    raw = request.POST.get("started") or request.GET.get("started") or ""
    try:
        value = int(raw)
    except ValueError:
        return int(now.timestamp()) + 1  # a session starting now has reviewed nothing yet
    return min(max(value, 0), int(now.timestamp()) + 1)


def _extra_new_today(request: HttpRequest) -> int:
    """New questions added on top of the daily limit today (in the user's time zone)."""
    saved = request.session.get(EXTRA_NEW_KEY)
    if isinstance(saved, list) and len(saved) == 2 and saved[0] == _today().isoformat():
        return int(saved[1])
    return 0


def _with_extra_new(request: HttpRequest, profile: Profile) -> Profile:
    extra = _extra_new_today(request)
    if not extra:
        return profile
    raised = copy.copy(profile)  # never saved: the limit in Settings stays as it is
    raised.new_per_day = profile.new_per_day + extra
    return raised


def _card_context(request, scope: Scope, started: int, now: datetime, profile: Profile) -> dict:
    """Everything the session page shows: the next card, or the session summary."""
    # In the user's zone, so the daily new-question limit starts at their midnight.
    local_now = timezone.localtime(now)
    state = next_in_queue(request.user, scope, _with_extra_new(request, profile), local_now)
    context = {
        "scope": scope,
        "started": started,
        "queue": state,
        "profile": profile,
        "hide_difficulty": profile.hide_difficulty,
    }
    question = state.question
    if question is None:
        context["summary"] = _summary(request.user, scope, started)
        context["limit_reached"] = state.has_new and not state.new_left_today
        context["can_add_new"] = state.new_limit + EXTRA_NEW_STEP <= EXTRA_NEW_MAX
        context["extra_new_step"] = EXTRA_NEW_STEP
        return context
    question = _get_question_for_user(request, question.slug)
    card = state.card or Card.objects.filter(user=request.user, question=question).first()
    if question.kind == Question.Kind.REVIEW:
        # The fix and the catching test pick up where the user left them on any page.
        draft = Draft.objects.filter(user=request.user, question=question).first()
        context["code"] = draft.code if draft and draft.code else question.starter_code
        context["test_code"] = draft.test_code if draft else ""
    context.update(
        question=question,
        card=card,
        seq=card.reps if card else 0,
        shown_at=int(now.timestamp() * 1000),
        hints=list(question.hints.all()),
        choices=list(question.choices.all()),
        note=Note.objects.filter(user=request.user, question=question).first(),
        answer=question.starter_code if question.kind == Question.Kind.CODING else "",
        runner_mode=runner.mode(),  # the shared run-results block says how code runs
    )
    return context


def counts_in_words(counts: dict[str, int]) -> str:
    """'2 Good', '2 Good and 1 Hard', '1 Again, 2 Good and 1 Easy': the non-zero counts."""
    parts = [f"{n} {label}" for label, n in counts.items() if n]
    if len(parts) < 2:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _summary(user, scope: Scope, started: int) -> dict:
    since = datetime.fromtimestamp(started, UTC)
    # Tuples of the four values shown, not model rows: a session can hold hundreds.
    reviews = list(
        scope.filter(
            Review.objects.filter(
                visible_q(user, via="question__"), user=user, reviewed_at__gte=since
            ),
            via="question__",
        )
        .order_by("-reviewed_at")
        .values_list("rating", "scheduled_due", "reviewed_at", "question__slug", "question__title")[
            :200
        ]
    )
    by_rating = {label: 0 for label in Rating.labels}
    for rating, *_ in reviews:
        by_rating[Rating(rating).label] += 1
    now = _now()
    return {
        "count": len(reviews),
        "by_rating": by_rating,
        "in_words": counts_in_words(by_rating),
        "reviews": [
            {
                "question": {"slug": slug, "title": title},
                "rating": Rating(rating).label,
                # What the rating scheduled, as its button said, not what is left of it now.
                "comes_back": scheduling.humanize(due - reviewed_at),
            }
            for rating, due, reviewed_at, slug, title in reviews[:50]
        ],
        "next_due": Card.objects.filter(user=user, suspended=False, reps__gt=0, due__gt=now)
        .order_by("due")
        .values_list("due", flat=True)
        .first(),
    }


@require_GET
def practice_session(request: HttpRequest) -> HttpResponse:
    scope = parse_scope(request.GET.get("scope"))
    if scope is None:
        messages.error(request, "That practice scope does not exist; showing everything instead.")
        scope = parse_scope("all")
    now = _now()
    profile = profile_for(request)
    context = _card_context(request, scope, _started(request, now), now, profile)
    template = SESSION_TEMPLATE + ("#card" if request.htmx else "")
    return render(request, template, context)


def _graded(user, question: Question, choices, data: dict) -> dict:
    """What the machine can grade: the picked options of a choice question, the tests of the
    last Submit of exactly this code for a coding question, and for a review question whether
    exactly this test caught the flawed code and exactly this fix passed every test."""
    picks, answer = data["picks"], data["answer"]
    if question.kind == Question.Kind.REVIEW:
        return _graded_review(user, question, data["code"], data["test_code"])
    if question.kind == Question.Kind.CHOICE:
        correct = sorted(c.position for c in choices if c.is_correct)
        return {
            "picked": sorted(picks),
            "correct_options": correct,
            "correct": sorted(picks) == correct,
        }
    if question.kind == Question.Kind.CODING:
        draft = Draft.objects.filter(user=user, question=question).first()
        result = draft.submission_for(answer) if draft else None
        if result:
            return {key: result[key] for key in ("passed", "total", "all_passed", "wall_ms")}
    return {}


def _graded_review(user, question: Question, code: str, test_code: str) -> dict:
    draft = Draft.objects.filter(user=user, question=question).first()
    outcome: dict = {"test_code": test_code, "fix_code": code}
    caught = draft.catch_for(test_code) if draft and test_code.strip() else None
    if caught:
        outcome["caught"] = bool(caught.get("caught"))
    # The fix counts only if it was changed from the flawed code and submitted as it is now.
    fixed = draft.submission_for(code) if draft and code != question.starter_code else None
    if fixed:
        outcome.update(
            fixed=fixed["all_passed"], fix_passed=fixed["passed"], fix_total=fixed["total"]
        )
    return outcome


@require_POST
def practice_reveal(request: HttpRequest) -> HttpResponse:
    posted = _read_shown_card(request, require_rating=False)
    if isinstance(posted, HttpResponse):
        return posted
    data, question, profile, now = posted
    scope = data["scope"]
    card = Card.objects.filter(user=request.user, question=question).first() or Card(
        user=request.user, question=question
    )
    choices = list(question.choices.all())
    outcome = _graded(request.user, question, choices, data)
    intervals = scheduling.preview(card, now, profile.desired_retention)
    suggested = suggested_rating(outcome)
    context = {
        "scope": scope,
        "started": data["started"],
        "profile": profile,
        "hide_difficulty": profile.hide_difficulty,
        "question": question,
        "card": card if card.pk else None,
        "seq": data["seq"],
        "shown_at": data["shown_at"],
        "hints": list(question.hints.all()),
        "choices": choices,
        "note": Note.objects.filter(user=request.user, question=question).first(),
        "answer": data["answer"],
        "code": data["code"],
        "test_code": data["test_code"],
        "picks": data["picks"],
        "outcome": outcome,
        "revealed": True,
        "ratings": [
            {
                "value": rating.value,
                "label": rating.label,
                "help": RATING_HELP[rating],
                "when": scheduling.humanize(intervals[rating.value]),
                "suggested": rating.value == suggested,
            }
            for rating in Rating
        ],
    }
    template = SESSION_TEMPLATE + ("#card" if request.htmx else "")
    return render(request, template, context)


def _read_shown_card(request: HttpRequest, *, require_rating: bool):
    """What reveal and rate both start from: the posted form of the card on screen, its
    question (404 unless the user may see it), the user's settings and the time; or a 400."""
    form = RatingForm(request.POST, require_rating=require_rating)
    if not form.is_valid():
        # Name the unreadable fields but never echo what was posted: Django's messages quote
        # the submitted value, and this reply is what a plain (non-htmx) form post displays.
        fields = ", ".join(sorted(form.errors))
        return HttpResponse(
            f"This answer could not be read (unreadable: {fields}). Reload the page.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    question = _get_question_for_user(request, form.cleaned_data["question"])
    return form.cleaned_data, question, profile_for(request), _now()


@require_POST
def practice_rate(request: HttpRequest) -> HttpResponse:
    posted = _read_shown_card(request, require_rating=True)
    if isinstance(posted, HttpResponse):
        return posted
    data, question, profile, now = posted
    scope = data["scope"]
    recorded = scheduling.record_review(
        request.user,
        question,
        sequence=data["seq"],
        rating=data["rating"],
        now=now,
        desired_retention=profile.desired_retention,
        duration_ms=_duration_ms(data["shown_at"], now),
        answer=data["answer"],
        rubric=[i for i in data["rubric"] if 0 <= i < question.rubric_points.count()],
        outcome=_graded(request.user, question, list(question.choices.all()), data),
    )
    if recorded:
        readiness.record_snapshots(request.user, question, now)
    else:
        messages.info(request, "That rating was already recorded.")
    if request.htmx:
        context = _card_context(request, scope, data["started"], now, profile)
        return render(request, SESSION_TEMPLATE + "#card", context)
    return redirect(practice_url(scope.key, data["started"]))


@require_POST
def practice_more_new(request: HttpRequest) -> HttpResponse:
    """Allow EXTRA_NEW_STEP more new questions today, then carry on with the session."""
    scope = parse_scope(request.POST.get("scope")) or parse_scope("all")
    now = _now()
    started = _started(request, now)
    extra = _extra_new_today(request)
    profile = profile_for(request)
    if profile.new_per_day + extra + EXTRA_NEW_STEP <= EXTRA_NEW_MAX:
        request.session[EXTRA_NEW_KEY] = [_today().isoformat(), extra + EXTRA_NEW_STEP]
    else:
        messages.error(request, f"At most {EXTRA_NEW_MAX} new questions a day.")
    if request.htmx:
        context = _card_context(request, scope, started, now, profile)
        return render(request, SESSION_TEMPLATE + "#card", context)
    return redirect(practice_url(scope.key, started))


def _duration_ms(shown_at_ms: int, now: datetime) -> int | None:
    elapsed = int(now.timestamp() * 1000) - shown_at_ms
    return elapsed if 0 <= elapsed <= int(timedelta(hours=2).total_seconds() * 1000) else None
