"""Load the built-in bank (loop.yaml and one Markdown file per question) into the database.

Everything is read and validated first; only a bank with no error is written, in one
transaction. Questions are upserted by slug, so users' progress (keyed by question) survives
edits; an unchanged file is skipped by comparing a hash of its text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.db import transaction

from questions.bankfile import SLUG_RE, BankFormatError, ParsedQuestion, parse
from questions.content_cache import one_bank_change
from questions.models import (
    Category,
    Choice,
    Hint,
    Question,
    Round,
    RubricPoint,
    Tag,
    Track,
)
from questions.rendering import render_markdown

DEFAULT_BANK = Path(__file__).resolve().parent / "bank"
LOOP_FILE = "loop.yaml"
# Bump when rendering changes, so the next load re-renders every question.
RENDER_VERSION = "2"


class BankLoadError(Exception):
    """One or more files are invalid; nothing was written."""

    def __init__(self, errors: list[BankFormatError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_in_bank: int = 0


@dataclass
class Loop:
    categories: list[dict]
    rounds: list[dict]
    tracks: list[dict]


def source_hash(text: str) -> str:
    return hashlib.sha256(f"{RENDER_VERSION}\n{text}".encode()).hexdigest()


def read_loop(root: Path) -> Loop:
    path = root / LOOP_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BankLoadError([BankFormatError(str(path), None, "missing loop definition")]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise BankLoadError([BankFormatError(str(path), None, f"invalid YAML: {exc}")]) from None
    errors = []

    def entries(key: str, required: tuple[str, ...]) -> list[dict]:
        items = data.get(key) if isinstance(data, dict) else None
        if not isinstance(items, list) or not items:
            errors.append(BankFormatError(str(path), None, f"'{key}' must be a non-empty list"))
            return []
        good = []
        for index, item in enumerate(items, start=1):
            if not isinstance(item, dict) or any(not item.get(k) for k in required):
                errors.append(
                    BankFormatError(
                        str(path), None, f"{key} entry {index} needs {', '.join(required)}"
                    )
                )
            elif not SLUG_RE.fullmatch(str(item["slug"])):
                errors.append(BankFormatError(str(path), None, f"{key} slug {item['slug']!r}"))
            else:
                good.append(item)
        return good

    loop = Loop(
        categories=entries("categories", ("slug", "name")),
        rounds=entries("rounds", ("slug", "name", "categories")),
        tracks=entries("tracks", ("slug", "name", "rounds")),
    )
    category_slugs = {c["slug"] for c in loop.categories}
    round_slugs = {r["slug"] for r in loop.rounds}
    for round_ in loop.rounds:
        for slug in round_["categories"]:
            if slug not in category_slugs:
                errors.append(
                    BankFormatError(
                        str(path), None, f"round {round_['slug']}: unknown category {slug}"
                    )
                )
    for track in loop.tracks:
        for slug in track["rounds"]:
            if slug not in round_slugs:
                errors.append(
                    BankFormatError(str(path), None, f"track {track['slug']}: unknown round {slug}")
                )
    if errors:
        raise BankLoadError(errors)
    return loop


def read_bank(root: Path) -> tuple[Loop, list[tuple[ParsedQuestion, str]]]:
    """Parse and validate every file; raise BankLoadError listing every problem found."""
    loop = read_loop(root)
    categories = frozenset(c["slug"] for c in loop.categories)
    rounds = frozenset(r["slug"] for r in loop.rounds)
    parsed: list[tuple[ParsedQuestion, str]] = []
    errors: list[BankFormatError] = []
    seen: dict[str, Path] = {}
    for path in sorted(root.rglob("*.md")):
        shown = (
            str(path.relative_to(root.parent)) if path.is_relative_to(root.parent) else str(path)
        )
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            errors.append(BankFormatError(shown, None, f"not UTF-8 text ({exc.reason})"))
            continue
        try:
            question = parse(text, shown, categories=categories, rounds=rounds)
        except BankFormatError as exc:
            errors.append(exc)
            continue
        if path.parent.name != question.category:
            errors.append(
                BankFormatError(
                    shown,
                    None,
                    f"category '{question.category}' but the file is in folder '{path.parent.name}'",
                )
            )
            continue
        if question.slug in seen:
            errors.append(
                BankFormatError(
                    shown, None, f"slug '{question.slug}' is also used by {seen[question.slug]}"
                )
            )
            continue
        seen[question.slug] = path
        parsed.append((question, source_hash(text)))
    if errors:
        raise BankLoadError(errors)
    return loop, parsed


def load_bank(
    root: Path = DEFAULT_BANK, progress: Callable[[int, int], None] | None = None
) -> LoadReport:
    loop, parsed = read_bank(root)
    report = LoadReport()
    with transaction.atomic(), one_bank_change():
        categories, rounds = _upsert_loop(loop)
        existing = {
            q.slug: q for q in Question.objects.filter(slug__in=[p.slug for p, _ in parsed])
        }
        taken = [slug for slug, q in existing.items() if q.owner_id is not None]
        if taken:
            raise BankLoadError(
                [
                    BankFormatError(s, None, "slug is already used by a user's question")
                    for s in taken
                ]
            )
        tags = {t.slug: t for t in Tag.objects.all()}
        new_tags = {t for p, _ in parsed for t in p.tags} - tags.keys()
        for tag in Tag.objects.bulk_create([Tag(slug=s) for s in sorted(new_tags)]):
            tags[tag.slug] = tag
        if not tags.keys() >= new_tags:  # some backends do not return bulk-created ids
            tags = {t.slug: t for t in Tag.objects.all()}

        for done, (data, digest) in enumerate(parsed, start=1):
            question = existing.get(data.slug)
            if question is not None and question.source_hash == digest:
                report.unchanged.append(data.slug)
            else:
                is_new = question is None
                question = _write_question(question, data, digest, categories, rounds, tags)
                (report.created if is_new else report.updated).append(data.slug)
            if progress:
                progress(done, len(parsed))
        report.not_in_bank = (
            Question.objects.filter(owner__isnull=True)
            .exclude(slug__in=[p.slug for p, _ in parsed])
            .count()
        )
    return report


def _upsert_loop(loop: Loop) -> tuple[dict[str, Category], dict[str, Round]]:
    categories = {}
    for position, item in enumerate(loop.categories):
        categories[item["slug"]], _ = Category.objects.update_or_create(
            slug=item["slug"],
            defaults={
                "name": item["name"],
                "description": item.get("description", ""),
                "position": position,
            },
        )
    rounds = {}
    for position, item in enumerate(loop.rounds):
        round_, _ = Round.objects.update_or_create(
            slug=item["slug"],
            defaults={
                "name": item["name"],
                "description": item.get("description", ""),
                "position": position,
            },
        )
        round_.categories.set([categories[s] for s in item["categories"]])
        rounds[item["slug"]] = round_
    for item in loop.tracks:
        track, _ = Track.objects.update_or_create(
            slug=item["slug"],
            defaults={"name": item["name"], "description": item.get("description", "")},
        )
        track.rounds.set([rounds[s] for s in item["rounds"]])
    return categories, rounds


def apply_parsed(question: Question, data: ParsedQuestion, categories, rounds, tags) -> Question:
    """Copy a parsed question onto a Question row and its parts (hints, rubric, choices).

    Shared by the bank loader and user imports, so both store exactly the same shape.
    """
    question.slug = data.slug
    question.title = data.title
    question.category = categories[data.category]
    question.kind = data.kind
    question.difficulty = data.difficulty
    question.prompt = data.prompt
    question.answer = data.answer
    question.language = data.language
    question.starter_code = data.starter
    question.solution_code = data.solution
    question.test_code = data.tests
    question.wrong_answers = data.wrong_answers
    question.complexity = data.complexity
    question.save()
    question.rounds.set([rounds[s] for s in data.rounds])
    question.tags.set([tags[s] for s in data.tags])
    for model in (Hint, RubricPoint, Choice):
        model.objects.filter(question=question).delete()
    Hint.objects.bulk_create(
        Hint(question=question, position=i, text=t, html=render_markdown(t))
        for i, t in enumerate(data.hints)
    )
    RubricPoint.objects.bulk_create(
        RubricPoint(question=question, position=i, text=t, html=render_markdown(t))
        for i, t in enumerate(data.rubric)
    )
    Choice.objects.bulk_create(
        Choice(question=question, position=i, text=t, html=render_markdown(t), is_correct=ok)
        for i, (t, ok) in enumerate(data.choices)
    )
    return question


def _write_question(question, data, digest, categories, rounds, tags) -> Question:
    question = question or Question()
    question.source_hash = digest
    return apply_parsed(question, data, categories, rounds, tags)
