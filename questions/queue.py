"""What to practise next: a scope (round, category, tag or everything due) and the queue order.

Order: due cards first, most overdue first; then questions never reviewed, up to the user's
daily new-question limit, easiest first. Suspended cards never come up. Three queries
whatever the number of cards and reviews.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    QuerySet,
    Value,
    When,
    Window,
)

from questions.models import Card, Category, Profile, Question, Review, Round


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

    def filter(self, questions: QuerySet) -> QuerySet:
        if self.kind == "round":
            return questions.filter(rounds__slug=self.slug)
        if self.kind == "category":
            return questions.filter(category__slug=self.slug)
        if self.kind == "tag":
            return questions.filter(tags__slug=self.slug)
        return questions


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


def _scoped_questions(user, scope: Scope) -> QuerySet:
    return scope.filter(Question.objects.visible_to(user)).values("pk")


def next_in_queue(user, scope: Scope, profile: Profile, now: datetime) -> QueueState:
    scoped = _scoped_questions(user, scope)
    # The most overdue card and, on the same row, how many are due: one query for both.
    card = (
        Card.objects.filter(
            user=user, suspended=False, reps__gt=0, due__lte=now, question__in=scoped
        )
        .annotate(due_count=Window(Count("id")))
        .select_related("question", "question__category")
        .order_by("due", "id")
        .first()
    )
    due_count = card.due_count if card else 0

    new_today = Review.objects.filter(
        user=user, sequence=0, reviewed_at__gte=start_of_day(now)
    ).count()
    started_or_suspended = Card.objects.filter(user=user, question=OuterRef("pk")).filter(
        reps__gt=0
    ) | Card.objects.filter(user=user, question=OuterRef("pk"), suspended=True)
    # Filtering by primary keys from the scoped subquery avoids DISTINCT over whole rows when
    # the scope joins a many-to-many table (rounds, tags).
    new_questions = Question.objects.filter(pk__in=scoped).filter(~Exists(started_or_suspended))
    new_question = None
    if card is None and scope.includes_new and new_today < profile.new_per_day:
        easiest_first = Case(
            When(difficulty="easy", then=Value(0)),
            When(difficulty="medium", then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        new_question = (
            new_questions.select_related("category")
            .order_by(easiest_first, "category__position", "id")
            .first()
        )
        has_new = new_question is not None
    else:
        has_new = scope.includes_new and new_questions.exists()
    return QueueState(card, new_question, due_count, has_new, new_today, profile.new_per_day)
