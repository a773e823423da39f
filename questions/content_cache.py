"""A shared cache of question content, so a page that shows a question does not rebuild it.

A question with its category, rounds, tags, hints, rubric points and choices takes six
queries to assemble and is the same for every user; the practice page, the question page and
every reveal and rating need it. It is cached under its slug and the bank's version, a token
that changes whenever any question content changes: after any save or delete of a question
or its parts (signals below, including the admin's), and explicitly by bulk writers such as
loadbank (`bank_changed`). A changed question is therefore never read stale, on any app
server: the old entries are simply no longer asked for and expire.

What a user may see is not part of the cached value; callers check it on every request
(`Question.is_visible_to`).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from uuid import uuid4

from django.core.cache import cache
from django.db import transaction
from django.db.models import Prefetch
from django.db.models.signals import m2m_changed, post_delete, post_save

from questions.models import Category, Choice, Hint, Question, Round, RubricPoint, Tag

VERSION_KEY = "bank:version"
_bulk_change: ContextVar[bool] = ContextVar("bulk_bank_change", default=False)
CONTENT_SECONDS = 6 * 3600


def bank_version() -> str:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid4().hex, timeout=None)  # add: the first of racing readers wins
        version = cache.get(VERSION_KEY)
    return version


def bank_changed() -> None:
    """Every cached question (and anything else keyed by the bank version) is now stale."""
    cache.set(VERSION_KEY, uuid4().hex, timeout=None)


def _question_content_changed(**_) -> None:
    """A signal handler: bump now (so this request and the rest of its transaction read the
    change), and again after commit (a reader between the write and the commit may have
    cached the old content under the first new version)."""
    if _bulk_change.get():
        return
    bank_changed()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(bank_changed)


@contextmanager
def one_bank_change():
    """For bulk writers (loadbank, imports): one bump for the whole block, and one after
    commit, instead of one per row written; bulk_create and friends send no signals anyway."""
    token = _bulk_change.set(True)
    try:
        yield
    finally:
        _bulk_change.reset(token)
    bank_changed()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(bank_changed)


def question_content(slug: str) -> Question | None:
    """The question with its content prefetched, from the cache when it is there."""
    key = f"question:{bank_version()}:{slug}"
    question = cache.get(key)
    if question is None:
        question = (
            Question.objects.filter(slug=slug)
            .select_related("category")
            .prefetch_related(
                "rounds",
                "tags",
                "hints",
                "rubric_points",
                Prefetch("choices", queryset=Choice.objects.order_by("position")),
            )
            .first()
        )
        if question is None:
            return None
        cache.set(key, question, CONTENT_SECONDS)
    return question


for model in (Question, Hint, RubricPoint, Choice, Category, Round, Tag):
    post_save.connect(_question_content_changed, sender=model, dispatch_uid=f"bank-save-{model}")
    post_delete.connect(_question_content_changed, sender=model, dispatch_uid=f"bank-del-{model}")
for relation in (Question.rounds.through, Question.tags.through):
    m2m_changed.connect(_question_content_changed, sender=relation, dispatch_uid=f"bank-{relation}")
