"""What to practise next: a scope (round, category, tag or everything due) and the queue order.

Order: due cards first, most overdue first; then questions never reviewed, up to the user's
daily new-question limit, easiest first. Suspended cards never come up. Three queries
whatever the number of cards and reviews.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from urllib.parse import urlencode

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.urls import reverse

from questions.models import Card, Category, Profile, Question, Review, Round
from questions.models.question import visible_q

CARD_FIELDS = [f.name for f in Card._meta.concrete_fields]


@dataclass(frozen=True)
class Scope:
    kind: str  # "all" (due and new everywhere), "due" (only due), "round", "category", "tag"
    slug: str = ""
    label: str = "Everything"

    @property
    def key(self) -> str:
        return self.kind if self.kind in {"all", "due"} else f"{self.kind}:{self.slug}"

    @property
    def includes_new(self) -> bool:
        return self.kind != "due"

    def filter(self, queryset: QuerySet, via: str = "") -> QuerySet:
        """Questions in scope, or with `via` (e.g. "question__") cards of those questions.
        A question has a round or a tag at most once, so the joins never duplicate rows."""
        if self.kind == "round":
            return queryset.filter(**{f"{via}rounds__slug": self.slug})
        if self.kind == "category":
            return queryset.filter(**{f"{via}category__slug": self.slug})
        if self.kind == "tag":
            return queryset.filter(**{f"{via}tags__slug": self.slug})
        return queryset


def practice_url(scope_key: str, started: int | None = None) -> str:
    """The practice session for a scope ("due", "round:coding", ...), ':' left readable as the
    templates write it; `started` carries a running session's start into its next card."""
    query = {"scope": scope_key} | ({"started": started} if started is not None else {})
    return reverse("questions:practice_session") + "?" + urlencode(query, safe=":")


def parse_scope(key: str | None) -> Scope | None:
    """Scope from its key ('round:ml-depth', 'category:nlp', 'tag:pca', 'due', 'all');
    None when it names nothing that exists."""
    key = (key or "all").strip()
    if key in {"all", ""}:
        return Scope("all", label="Everything")
    if key == "due":
        return Scope("due", label="Everything due")
    kind, _, slug = key.partition(":")
    if kind == "round":
        round_ = Round.objects.filter(slug=slug).first()
        return Scope("round", slug, round_.name) if round_ else None
    if kind == "category":
        category = Category.objects.filter(slug=slug).first()
        return Scope("category", slug, category.name) if category else None
    if kind == "tag" and slug and len(slug) <= 60:
        return Scope("tag", slug, f"#{slug}")
    return None


def start_of_day(now: datetime) -> datetime:
    return datetime.combine(now.date(), time.min, tzinfo=now.tzinfo)


@dataclass
class QueueState:
    card: Card | None  # the due card to show, if any
    new_question: Question | None  # else a never-reviewed question, if the limit allows
    due_count: int
    has_new: bool  # any never-reviewed question left in scope
    new_today: int
    new_limit: int

    @property
    def question(self) -> Question | None:
        return self.card.question if self.card else self.new_question

    @property
    def new_left_today(self) -> int:
        return max(0, self.new_limit - self.new_today)


def next_in_queue(user, scope: Scope, profile: Profile, now: datetime) -> QueueState:
    # Scope and visibility are joined through each row's own question rather than tested
    # against a subquery of the whole bank, which the databases would build in full.
    due_cards = Card.objects.filter(
        visible_q(user, via="question__"), user=user, suspended=False, reps__gt=0, due__lte=now
    )
    # The most overdue card and, on the same row, how many are due: one query for both. Of
    # its question only the slug is needed: the page reads the content from the cache.
    card = (
        scope.filter(due_cards, via="question__")
        .annotate(due_count=Window(Count("id")))
        .select_related("question")
        .only(*CARD_FIELDS, "question__slug")
        .order_by("due", "id")
        .first()
    )
    due_count = card.due_count if card else 0

    new_today = Review.objects.filter(
        user=user, sequence=0, reviewed_at__gte=start_of_day(now)
    ).count()
    started_or_suspended = Card.objects.filter(
        Q(reps__gt=0) | Q(suspended=True), user=user, question=OuterRef("pk")
    )
    new_questions = scope.filter(Question.objects.visible_to(user)).filter(
        ~Exists(started_or_suspended)
    )
    new_question = None
    if card is None and scope.includes_new and new_today < profile.new_per_day:
        easiest_first = Case(
            When(difficulty="easy", then=Value(0)),
            When(difficulty="medium", then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        # Narrow rows (id and slug) make the sort over the bank cheap.
        new_question = (
            new_questions.only("id", "slug")
            .order_by(easiest_first, "category__position", "id")
            .first()
        )
        has_new = new_question is not None
    else:
        has_new = scope.includes_new and new_questions.exists()
    return QueueState(card, new_question, due_count, has_new, new_today, profile.new_per_day)
