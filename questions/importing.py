"""Import of a user's questions (exports are in `exporting`).

An upload (one bank-format .md, a .zip of them, or a CSV of front,back pairs) is read from
bytes in memory, never written to disk, into a `Plan`: every question it would create or
update, and every problem with its file and line. Nothing is stored until the user confirms;
then the whole plan is written in one transaction or not at all.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import re
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.utils.html import strip_tags

from questions import authoring, throttle
from questions.bankfile import (
    MAX_TEXT_SECTION_CHARS,
    RUNNABLE_KINDS,
    BankFormatError,
    ParsedQuestion,
    dump,
    parse,
)
from questions.content_cache import one_bank_change
from questions.loader import apply_parsed
from questions.models import Category, Question, Round

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
CARD_RUBRIC = "Recalls the answer on the back of the card"
_ANKI_HTML = re.compile(r"<br\s*/?>|</?div>|</p>|&nbsp;", re.I)
_ANKI_BREAK = re.compile(r"<br\s*/?>|</div>|</p>", re.I)
_UNSAFE_NAME = re.compile(r"^(?:[A-Za-z]:|[/\\])")
# csv.Sniffer is quadratic in its sample (a 40 KB line of ',"' took 13 s): it sees whole lines
# up to this many characters, which is plenty to tell commas from semicolons and tabs.
SNIFF_SAMPLE_CHARS = 4096


@dataclass(frozen=True)
class Limits:
    upload_bytes: int = 2 * 1024 * 1024
    files: int = 500  # questions in one upload (files in a zip, rows of a CSV)
    file_bytes: int = 512 * 1024  # one file inside a zip
    uncompressed_bytes: int = 20 * 1024 * 1024  # all files of a zip together
    ratio: int = 100  # uncompressed / compressed, per file; Markdown compresses 2-5 times
    coding: int = 50  # coding questions whose reference solution must be run
    # Characters of Markdown and code in all, rendered when the import is confirmed (in one
    # request); None: no limit (an administrator's command).
    text_chars: int | None = None
    # Seconds of reference-solution checks in one upload (they run inside the request, which
    # nginx and gunicorn end after 30 s); None: no limit.
    check_seconds: float | None = None


# Web uploads. 500,000 characters is some 200 questions the size of the built-in ones, which
# render in under a second; the most expensive Markdown there is takes about 5 s at this size.
LIMITS = Limits(text_chars=500_000, check_seconds=15)


@dataclass
class PlanItem:
    path: str  # where it came from, for messages: file name, zip entry, CSV line
    question: ParsedQuestion  # its slug is already the user's slug
    action: str = "create"  # create | update | unchanged


@dataclass
class Plan:
    items: list[PlanItem] = field(default_factory=list)
    errors: list[BankFormatError] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files in a zip that are not questions

    @property
    def can_import(self) -> bool:
        return not self.errors and any(i.action != "unchanged" for i in self.items)

    def count(self, action: str) -> int:
        return sum(item.action == action for item in self.items)

    def refuse(self, path: str, reason: str) -> Plan:
        self.items.clear()
        self.errors.append(BankFormatError(path, None, reason))
        return self

    def to_session(self) -> str:
        """The items, compressed: the session then holds about as much as the upload did."""
        items = [
            {"path": i.path, "action": i.action, "question": authoring.parsed_to_dict(i.question)}
            for i in self.items
        ]
        return base64.b64encode(zlib.compress(json.dumps(items).encode(), 6)).decode()

    @classmethod
    def from_session(cls, stored: str) -> Plan:
        items = json.loads(zlib.decompress(base64.b64decode(stored)))
        return cls(
            items=[
                PlanItem(i["path"], authoring.parsed_from_dict(i["question"]), i["action"])
                for i in items
            ]
        )


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


# --- Reading an upload ---------------------------------------------------------------------------


def read_upload(
    name: str,
    data: bytes,
    *,
    user,
    category: Category | None = None,
    rounds: list[Round] | None = None,
    limits: Limits = LIMITS,
    run_solutions: bool = True,
) -> Plan:
    """What importing this upload would do, and every reason it cannot."""
    plan = Plan()
    if len(data) > limits.upload_bytes:
        return plan.refuse(
            name,
            f"The file is {_megabytes(len(data))}; uploads are limited to "
            f"{_megabytes(limits.upload_bytes)}.",
        )
    lower = name.lower()
    if lower.endswith(".md"):
        entries = [(name, data)]
    elif lower.endswith(".zip"):
        entries = _zip_entries(name, data, plan, limits)
        if plan.errors:
            return plan
    elif lower.endswith(CSV_SUFFIXES):
        if category is None or not rounds:
            return plan.refuse(name, "A CSV needs a category and at least one round for its cards.")
        _csv_cards(name, data, plan, category, list(rounds), limits)
        return _finish(plan, user, limits, run_solutions)
    else:
        return plan.refuse(
            name, "Upload a question file (.md), a .zip of them, or a .csv of front,back pairs."
        )
    return read_files(entries, user=user, limits=limits, run_solutions=run_solutions, plan=plan)


def read_files(
    entries: list[tuple[str, bytes]],
    *,
    user,
    limits: Limits = LIMITS,
    run_solutions: bool = True,
    plan: Plan | None = None,
) -> Plan:
    """Parse bank-format files (path, bytes) into a plan for `user`'s questions."""
    plan = plan or Plan()
    if len(entries) > limits.files:
        return plan.refuse(
            "upload", f"{len(entries)} question files; at most {limits.files} at a time."
        )
    categories = frozenset(Category.objects.values_list("slug", flat=True))
    rounds = frozenset(Round.objects.values_list("slug", flat=True))
    for path, raw in entries:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            plan.errors.append(
                BankFormatError(
                    path, None, f"not UTF-8 text (byte {exc.start + 1}); save it as UTF-8"
                )
            )
            continue
        try:
            plan.items.append(
                PlanItem(path, parse(text, path, categories=categories, rounds=rounds))
            )
        except BankFormatError as exc:
            plan.errors.append(exc)
    return _finish(plan, user, limits, run_solutions)


def _zip_entries(name: str, data: bytes, plan: Plan, limits: Limits) -> list[tuple[str, bytes]]:
    """The .md files of a zip, refusing the whole archive on anything suspicious."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        plan.refuse(name, "This is not a valid zip file (it may be damaged or incomplete).")
        return []
    if len(infos) > 2 * limits.files:
        plan.refuse(name, f"The zip holds {len(infos)} entries; at most {limits.files} questions.")
        return []
    wanted = []
    for info in infos:
        parts = PurePosixPath(info.filename.replace("\\", "/")).parts
        if _UNSAFE_NAME.match(info.filename) or ".." in parts:
            plan.refuse(
                f"{name}: {info.filename[:200]}",
                "Refused: the zip has a path that is absolute or climbs out with '..'.",
            )
            return []
        if info.is_dir() or any(p.startswith(".") or p == "__MACOSX" for p in parts):
            continue
        if not info.filename.lower().endswith(".md"):
            plan.skipped.append(info.filename)
            continue
        wanted.append(info)
    if not wanted:
        plan.refuse(name, "The zip holds no question files (.md).")
        return []
    if len(wanted) > limits.files:
        plan.refuse(name, f"The zip holds {len(wanted)} .md files; at most {limits.files}.")
        return []
    declared = sum(info.file_size for info in wanted)
    if declared > limits.uncompressed_bytes:
        plan.refuse(
            name,
            f"Refused: the files would unpack to {_megabytes(declared)}, more than the "
            f"{_megabytes(limits.uncompressed_bytes)} allowed (a zip bomb?).",
        )
        return []
    entries, total = [], 0
    for info in wanted:
        path = info.filename
        if info.flag_bits & 0x1:
            plan.refuse(path, "Refused: the file is encrypted.")
            return []
        if info.file_size > limits.file_bytes:
            plan.refuse(
                path,
                f"Refused: the file is {_megabytes(info.file_size)} unpacked; at most "
                f"{_megabytes(limits.file_bytes)} per question.",
            )
            return []
        if info.file_size > 4096 and info.file_size > limits.ratio * max(info.compress_size, 1):
            plan.refuse(
                path,
                f"Refused: the file unpacks to more than {limits.ratio} times its packed size "
                "(a zip bomb?).",
            )
            return []
        try:
            # Sizes in the zip's directory can lie: read no more than the limit allows.
            with archive.open(info) as handle:
                raw = handle.read(limits.file_bytes + 1)
        except (
            zipfile.BadZipFile,
            zlib.error,
            NotImplementedError,
            RuntimeError,
            EOFError,
            OSError,
            ValueError,
        ):
            plan.refuse(path, "Refused: the file could not be unpacked (damaged zip).")
            return []
        total += len(raw)
        if len(raw) > limits.file_bytes or total > limits.uncompressed_bytes:
            plan.refuse(
                path, "Refused: the zip unpacks to more than its directory says (a zip bomb?)."
            )
            return []
        entries.append((path, raw))
    return entries


def _csv_cards(
    name: str, data: bytes, plan: Plan, category: Category, rounds: list[Round], limits: Limits
) -> None:
    """Flashcards from front,back rows (more columns are ignored)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        plan.refuse(name, f"not UTF-8 text (byte {exc.start + 1}); export it as UTF-8")
        return
    lines = text.splitlines(keepends=True)
    start, delimiter, is_html = _csv_dialect(name, lines)
    reader = csv.reader(lines[start:], delimiter=delimiter)
    repeats: dict[str, int] = {}
    previous = 0
    try:
        for index, row in enumerate(reader):
            line, previous = start + previous + 1, reader.line_num
            cells = [c.strip() for c in row[:2]]
            if not any(c.strip() for c in row) or (index == 0 and _is_header(cells)):
                continue
            if len(plan.items) + len(plan.errors) >= limits.files:
                plan.refuse(name, f"More than {limits.files} cards; split the file.")
                return
            if len(cells) < 2 or not all(cells):
                plan.errors.append(BankFormatError(name, line, "a card needs a front and a back"))
                continue
            if too_long := next((c for c in cells if len(c) > MAX_TEXT_SECTION_CHARS), None):
                side = "front" if too_long is cells[0] else "back"
                plan.errors.append(
                    BankFormatError(
                        name,
                        line,
                        f"the {side} of this card is {len(too_long):,} characters; "
                        f"at most {MAX_TEXT_SECTION_CHARS:,}",
                    )
                )
                continue
            try:
                front, back = (_plain(c) if is_html or _ANKI_HTML.search(c) else c for c in cells)
            except SuspiciousOperation:
                plan.errors.append(
                    BankFormatError(name, line, "this card's HTML is malformed (unclosed '<' tags)")
                )
                continue
            words = authoring.slug_words(front)
            repeats[words] = repeats.get(words, 0) + 1
            card = ParsedQuestion(
                slug=words if repeats[words] == 1 else f"{words}-{repeats[words]}",
                title=_title(front),
                category=category.slug,
                kind="flashcard",
                difficulty="medium",
                rounds=[r.slug for r in rounds],
                tags=[],
                prompt=authoring.normalise(front).strip(),
                answer=authoring.normalise(back).strip(),
                rubric=[CARD_RUBRIC],
            )
            try:
                plan.items.append(PlanItem(f"{name}:{line}", _read_back(card)))
            except BankFormatError as exc:
                plan.errors.append(BankFormatError(name, line, exc.reason))
    except csv.Error as exc:
        reason = f"not valid CSV: {exc}"
        if "field larger than field limit" in str(exc):
            reason = (
                f"a cell is longer than {csv.field_size_limit():,} characters (a card's front or "
                f'back can be at most {MAX_TEXT_SECTION_CHARS:,}): is a quote (") left open?'
            )
        plan.errors.append(BankFormatError(name, start + reader.line_num, reason))
    if not plan.items and not plan.errors:
        plan.refuse(name, "The file holds no cards.")


def _csv_dialect(name: str, lines: list[str]) -> tuple[int, str, bool]:
    """(first data line, delimiter, cells are HTML), honouring Anki's '#separator:' and
    '#html:' header lines; otherwise tab for .tsv/.txt (Anki's plain text) and a guess for CSV."""
    start, delimiter, is_html = 0, "", False
    separators = {"tab": "\t", "comma": ",", "semicolon": ";", "pipe": "|", "space": " "}
    while start < len(lines) and lines[start].startswith("#"):
        key, _, value = lines[start][1:].strip().partition(":")
        value = value.strip().lower()
        if key == "separator":
            delimiter = separators.get(value, value[:1])
        elif key == "html":
            is_html = value == "true"
        start += 1
    if not delimiter and name.lower().endswith((".tsv", ".txt")):
        delimiter = "\t"
    if not delimiter:
        try:
            sample = _sniff_sample(lines[start:])
            delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
    return start, delimiter, is_html


def _sniff_sample(lines: list[str], limit: int = SNIFF_SAMPLE_CHARS) -> str:
    """Whole lines among the first 20, up to `limit` characters in all, leaving out a line too
    long to fit (a long answer); the first `limit` characters when none fits. The sniffer's
    cost grows with the square of the sample."""
    sample, size = [], 0
    for line in lines[:20]:
        if size + len(line) <= limit:
            sample.append(line)
            size += len(line)
    return "".join(sample) if sample else "".join(lines[:1])[:limit]


def _is_header(cells: list[str]) -> bool:
    return [c.lower() for c in cells] in (["front", "back"], ["question", "answer"])


def _plain(cell: str) -> str:
    """Anki's HTML fields as plain text (the renderer would show tags literally)."""
    text = _ANKI_BREAK.sub("\n", cell)
    return html.unescape(strip_tags(text)).replace("\xa0", " ").strip()


def _title(front: str) -> str:
    title = " ".join(front.split())
    return title if len(title) <= 200 else title[:199].rstrip() + "…"


def _read_back(question: ParsedQuestion) -> ParsedQuestion:
    """Write a question in the bank format and parse it back, as the bank itself is read."""
    parsed = parse(dump(question), f"{question.slug}.md")
    if part := authoring.first_difference(question, parsed):
        raise BankFormatError(
            question.slug,
            None,
            f"the {part} does not read back as written: a line starting with '## ' or an "
            "unclosed ``` code block?",
        )
    return parsed


# --- Checking a plan -----------------------------------------------------------------------------


def _user_slugs(plan: Plan, user) -> None:
    """File names -> the user's slugs (see authoring.import_slug)."""
    names = [item.question.slug for item in plan.items]
    own = set(Question.objects.filter(owner=user, slug__in=names).values_list("slug", flat=True))
    for item in plan.items:
        item.question.slug = authoring.import_slug(user, item.question.slug, own)


def _text_chars(question: ParsedQuestion) -> int:
    """The characters that are rendered when the question is saved."""
    parts = [question.prompt, question.answer, question.starter, question.solution]
    parts += question.rubric + question.hints + [text for text, _ in question.choices]
    return sum(map(len, parts))


def _finish(plan: Plan, user, limits: Limits, run_solutions: bool) -> Plan:
    if not plan.items and not plan.errors:
        return plan.refuse("upload", "Nothing to import.")
    total = sum(_text_chars(item.question) for item in plan.items)
    if limits.text_chars is not None and total > limits.text_chars:
        return plan.refuse(
            "upload",
            f"The questions hold {total:,} characters of text and code; at most "
            f"{limits.text_chars:,} at a time. Split the file.",
        )
    _user_slugs(plan, user)
    seen: dict[str, str] = {}
    kept = []
    for item in plan.items:
        if len(item.question.slug) > authoring.SLUG_MAX:
            plan.errors.append(BankFormatError(item.path, None, "the file name is too long"))
        elif item.question.slug in seen:
            plan.errors.append(
                BankFormatError(
                    item.path,
                    None,
                    f"the same question name is also used by {seen[item.question.slug]}",
                )
            )
        else:
            seen[item.question.slug] = item.path
            kept.append(item)
    plan.items = kept
    classify(plan, user)
    if run_solutions and not plan.errors:
        _check_solutions(plan, user, limits)
    return plan


def classify(plan: Plan, user) -> None:
    """Mark each item create, update or unchanged against what is stored now."""
    existing = {
        q.slug: q
        for q in authoring.with_parts(
            Question.objects.filter(slug__in=[i.question.slug for i in plan.items])
        )
    }
    for item in plan.items:
        question = existing.get(item.question.slug)
        if question is None:
            item.action = "create"
        elif question.owner_id != user.pk:
            plan.errors.append(
                BankFormatError(
                    item.path, None, "this name is taken by another question; rename the file"
                )
            )
        elif authoring.first_difference(authoring.parsed_from_question(question), item.question):
            item.action = "update"
        else:
            item.action = "unchanged"


def _check_solutions(plan: Plan, user, limits: Limits) -> None:
    coding = [
        i for i in plan.items if i.question.kind in RUNNABLE_KINDS and i.action != "unchanged"
    ]
    if not coding:
        return
    if len(coding) > limits.coding:
        plan.errors.append(
            BankFormatError(
                "upload",
                None,
                f"{len(coding)} coding and review questions to check; at most {limits.coding} "
                "at a time.",
            )
        )
        return
    # One check slot for the whole upload: the solutions run one after another, within a time
    # budget that keeps the request inside the server's request timeout.
    with throttle.in_request_check(user.pk) as refusal:
        if refusal:
            plan.errors.append(BankFormatError("upload", None, refusal))
            return
        started = time.monotonic()
        for checked, item in enumerate(coding):
            if limits.check_seconds and time.monotonic() - started > limits.check_seconds:
                plan.errors.append(
                    BankFormatError(
                        "upload",
                        None,
                        f"only {checked} of {len(coding)} coding and review questions could be checked in "
                        "the time one upload may take; import the others in a separate file.",
                    )
                )
                return
            deadline = started + limits.check_seconds if limits.check_seconds else None
            if problem := authoring.check_code(item.question, deadline):
                plan.errors.append(BankFormatError(item.path, None, problem[1]))


# --- Writing a plan ------------------------------------------------------------------------------


class ImportConflict(Exception):
    """What was previewed can no longer be written as it was; nothing was."""


def apply_plan(plan: Plan, *, user, visibility: str) -> dict[str, int]:
    """Write every new or changed question of the plan, all in one transaction."""
    with transaction.atomic(), one_bank_change():
        classify(plan, user)
        if plan.errors:
            raise ImportConflict("; ".join(str(e) for e in plan.errors))
        existing = {
            q.slug: q
            for q in Question.objects.filter(
                owner=user, slug__in=[i.question.slug for i in plan.items]
            )
        }
        categories, rounds, tags = authoring.lookups(i.question for i in plan.items)
        for item in plan.items:
            if item.action == "unchanged":
                continue
            if item.question.category not in categories or any(
                r not in rounds for r in item.question.rounds
            ):
                raise ImportConflict(f"{item.path}: its category or a round no longer exists")
            question = existing.get(item.question.slug) or Question(
                owner=user, visibility=visibility
            )
            apply_parsed(question, item.question, categories, rounds, tags)
    return {action: plan.count(action) for action in ("create", "update", "unchanged")}
