"""Export: a user's questions as bank-format files (a zip that imports back unchanged), and
everything the app keeps about a user as one JSON document."""

from __future__ import annotations

import io
import zipfile

from django.utils import timezone

from questions import authoring
from questions.bankfile import dump
from questions.loops import loops_for
from questions.models import Card, Draft, Note, Profile, Question, Review

CARD_FIELDS = ("state", "step", "stability", "difficulty", "due", "last_review", "reps", "lapses",
               "solved", "suspended", "bookmarked")  # fmt: skip
REVIEW_FIELDS = ("sequence", "rating", "reviewed_at", "duration_ms", "rubric_ticked", "answer",
                 "outcome", "scheduled_due", "stability", "difficulty", "desired_retention")  # fmt: skip


def own_questions(user):
    return authoring.with_parts(Question.objects.filter(owner=user)).order_by("slug")


def export_files(questions) -> list[tuple[str, str]]:
    """(path, bank-format text) per question, as <category>/<name>.md, with names unique across
    folders: import takes a question's name from its file name, not its folder."""
    # Names without the owner's prefix first, so a question whose slug has no prefix keeps
    # its own name and a prefixed one falls back to its full slug on a clash.
    questions = sorted(questions, key=lambda q: (authoring.file_slug(q) != q.slug, q.slug))
    used: set[str] = set()
    files = []
    for question in questions:
        name = authoring.file_slug(question)
        if name in used:
            name = question.slug
        used.add(name)
        text = dump(authoring.parsed_from_question(question))
        files.append((f"{question.category.slug}/{name}.md", text))
    return sorted(files)


def export_zip(questions) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in export_files(questions):
            archive.writestr(path, text)
    return buffer.getvalue()


def export_data(user) -> dict:
    """Everything the app keeps about a user (a fixed number of queries), JSON-ready with
    DjangoJSONEncoder."""

    def rows(queryset, *names: str) -> list[dict]:
        return [
            {"question": row.pop("question__slug"), **row}
            for row in queryset.filter(user=user).values("question__slug", *names)
        ]

    profile = Profile.for_user(user)
    questions = []
    for question in own_questions(user):
        parsed = authoring.parsed_from_question(question)
        questions.append(
            {
                **authoring.parsed_to_dict(parsed),
                "visibility": question.visibility,
                "created_at": question.created_at,
                "updated_at": question.updated_at,
                "file": dump(parsed),
            }
        )
    return {
        "format": "prep-export",
        "version": 1,
        "exported_at": timezone.now(),
        "user": {
            "username": user.get_username(),
            "email": user.email,
            "date_joined": user.date_joined,
        },
        "settings": _settings(profile),
        "questions": questions,
        "notes": rows(Note.objects.order_by("id"), "text", "updated_at"),
        "cards": rows(Card.objects.order_by("id"), *CARD_FIELDS),
        "reviews": rows(Review.objects.order_by("reviewed_at", "id"), *REVIEW_FIELDS),
        "drafts": rows(Draft.objects.order_by("id"), "code", "last_run", "updated_at"),
        "loops": _loops(user),
    }


def _loops(user) -> list[dict]:
    """The user's interview loops with their stages and the questions asked in them (three
    queries however many)."""
    return [
        {
            "company": loop.company,
            "created_at": loop.created_at,
            "archived_at": loop.archived_at,
            "stages": [
                {
                    "name": stage.name,
                    "round": stage.round.slug if stage.round else None,
                    "date": stage.date,
                    "outcome": stage.outcome,
                    "notes": stage.notes,
                    "asked": [
                        {
                            "text": asked.text,
                            "question": asked.question.slug if asked.question else None,
                            "created_at": asked.created_at,
                        }
                        for asked in stage.asked.all()
                    ],
                }
                for stage in loop.stages.all()
            ],
        }
        for loop in loops_for(user)
    ]


def _settings(profile: Profile) -> dict:
    """Every preference on the profile, related rows (a track) by their slug."""
    settings = {}
    for field in Profile._meta.concrete_fields:
        if field.name in {"id", "user"}:
            continue
        value = getattr(profile, field.name)
        if field.is_relation and value is not None:
            value = getattr(value, "slug", value.pk)
        settings[field.name] = value
    return settings
