"""Small builders for test data; the interview loop comes from the real loop.yaml."""

import itertools

from questions.bankfile import ParsedQuestion
from questions.loader import DEFAULT_BANK, _upsert_loop, apply_parsed, read_loop
from questions.models import Category, Question, Round, Tag

_counter = itertools.count()


def seed_loop():
    return _upsert_loop(read_loop(DEFAULT_BANK))


def make_question(owner=None, visibility="private", **overrides) -> Question:
    """A question saved through the same path as the loader (rendering, parts)."""
    n = next(_counter)
    data = ParsedQuestion(
        slug=overrides.pop("slug", f"question-{n}"),
        title=overrides.pop("title", f"Question number {n}"),
        category=overrides.pop("category", "ml-fundamentals"),
        kind=overrides.pop("kind", "flashcard"),
        difficulty=overrides.pop("difficulty", "medium"),
        rounds=overrides.pop("rounds", ["technical-screen"]),
        tags=overrides.pop("tags", ["general"]),
        prompt=overrides.pop("prompt", f"Explain concept {n}."),
        answer=overrides.pop("answer", f"The answer to {n}."),
        rubric=overrides.pop("rubric", ["Point one", "Point two", "Point three"]),
        hints=overrides.pop("hints", ["First nudge", "Second nudge"]),
        choices=overrides.pop("choices", []),
    )
    for key, value in overrides.items():
        setattr(data, key, value)
    categories = {c.slug: c for c in Category.objects.all()}
    rounds = {r.slug: r for r in Round.objects.all()}
    tags = {t: Tag.objects.get_or_create(slug=t)[0] for t in data.tags}
    question = Question(owner=owner, visibility=visibility)
    return apply_parsed(question, data, categories, rounds, tags)


def load_bank_file(relative: str) -> Question:
    """One real question from the built-in bank, stored exactly as `loadbank` would."""
    from questions.bankfile import parse

    data = parse((DEFAULT_BANK / relative).read_text(), relative)
    categories = {c.slug: c for c in Category.objects.all()}
    rounds = {r.slug: r for r in Round.objects.all()}
    tags = {t: Tag.objects.get_or_create(slug=t)[0] for t in data.tags}
    return apply_parsed(Question(), data, categories, rounds, tags)
