"""Users' own questions: slugs, form text <-> bank format, the solution check, saving.

A question written in the form becomes a bank-format file (`bankfile.dump`) that goes through
`bankfile.parse`, so a user's question passes exactly the validation the built-in bank does,
and is stored by `loader.apply_parsed`, exactly like the bank. Parser errors carry a line of
that file; `locate_error` turns it back into the form field (and the line within it).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, fields

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from questions import runner, throttle
from questions.bankfile import (
    CHOICE_RE,
    FENCE_RE,
    FRONT_MATTER_KEYS,
    HEADING_RE,
    OPTIONAL_FRONT_MATTER_KEYS,
    ParsedQuestion,
    wrong_answer_blocks,
    wrong_answer_comment,
)
from questions.content_cache import one_bank_change
from questions.loader import apply_parsed
from questions.models import Category, Question, Round, Tag
from questions.models.question import RUNNABLE_KINDS

SLUG_MAX = 120  # Question.slug's max_length
TITLE_SLUG_CHARS = 60
MARKDOWN_FIELDS = ("prompt", "answer")
LIST_FIELDS = ("rubric", "hints", "choices")
CODE_FIELDS = ("starter", "solution", "tests")
# Parser section -> form field; front matter keys are form fields of the same name.
SECTION_FIELDS = {name: name for name in ("prompt", *MARKDOWN_FIELDS, *LIST_FIELDS, *CODE_FIELDS)}
SECTION_FIELDS["wrong answers"] = "wrong_answers"
_BULLET_TYPED = re.compile(r"^[-*]\s+")


# --- Slugs -----------------------------------------------------------------------------------


def user_prefix(user) -> str:
    """Every slug of a user's question starts with this, so it can never take a bank slug."""
    return f"u{user.pk}-"


def slug_words(text: str) -> str:
    """Lowercase letters, digits and single hyphens, as the bank format wants ('question' if
    nothing is left, e.g. for a title in another script)."""
    words = re.sub(r"[^a-z0-9]+", "-", slugify(text)).strip("-")
    return words[:TITLE_SLUG_CHARS].strip("-") or "question"


def new_slug(user, title: str) -> str:
    """u<user id>-<title words>, with -2, -3... when that is taken. Never changes afterwards:
    progress is keyed by it."""
    base = user_prefix(user) + slug_words(title)
    taken = set(Question.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def file_slug(question: Question) -> str:
    """The file name (without .md) of a user's question in an export: without the owner's
    prefix, so the files read well and import back into the same questions."""
    prefix = f"u{question.owner_id}-"
    return question.slug.removeprefix(prefix) if question.owner_id else question.slug


def import_slug(user, name: str, own_slugs: set[str]) -> str:
    """The slug a file called `name`.md takes in this user's questions (see `file_slug`)."""
    if name in own_slugs or name.startswith(user_prefix(user)):
        return name
    return user_prefix(user) + name


# --- Form text <-> bank format -----------------------------------------------------------------


def normalise(text: str) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


def lines_to_items(text: str) -> list[str]:
    """One item per line; an indented line continues the item above (as in the bank format).
    A typed '- ' bullet is dropped."""
    items: list[str] = []
    for line in normalise(text).split("\n"):
        if not line.strip():
            continue
        if line.startswith((" ", "\t")) and items:
            items[-1] += "\n" + line.strip()
        else:
            items.append(_BULLET_TYPED.sub("", line.strip(), count=1))
    return items


def items_to_lines(items: Iterable[str]) -> str:
    return "\n".join(item.replace("\n", "\n  ") for item in items)


def split_tags(text: str) -> list[str]:
    """'PCA, linear-algebra #svd' -> ['pca', 'linear-algebra', 'svd'], without repeats."""
    tags: list[str] = []
    for tag in re.split(r"[\s,]+", (text or "").lower()):
        tag = tag.lstrip("#")
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def code_text(text: str) -> str:
    """Code as the parser returns it: no leading or trailing blank lines, one final newline."""
    text = normalise(text).rstrip()
    text = re.sub(r"\A(?:[ \t]*\n)+", "", text)
    return text + "\n" if text.strip() else ""


def scan(lines: list[str], first_number: int = 1) -> Iterator[tuple[int, str, bool]]:
    """(line number, section, is a section heading) for Markdown body lines, split the way
    `bankfile.parse` splits them: '## Name' outside a fenced code block starts a section."""
    section, fence = "prompt", None
    for number, line in enumerate(lines, start=first_number):
        match = FENCE_RE.match(line.strip()) if len(line) - len(line.lstrip()) < 4 else None
        heading = None
        if match:
            marker = match.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence) and not match.group(2):
                fence = None
        elif fence is None:
            heading = HEADING_RE.match(line)
        if heading:
            section = heading.group(1).strip().lower()
        yield number, section, bool(heading)


def section_heading_line(text: str) -> int | None:
    """The first line of Markdown that the bank format would read as a new '## ' section."""
    return next((n for n, _, is_heading in scan(normalise(text).split("\n")) if is_heading), None)


def fence_line(code: str) -> int | None:
    """The first line of code that would close the fenced block it is stored in."""
    for number, line in enumerate(normalise(code).split("\n"), start=1):
        if len(line) - len(line.lstrip()) < 4 and FENCE_RE.match(line.strip()):
            return number
    return None


def parse_choice_lines(text: str) -> tuple[list[tuple[str, bool]], str | None]:
    """'[x] right' / '[ ] wrong' lines -> choices, or the first problem found."""
    choices = []
    for index, item in enumerate(lines_to_items(text), start=1):
        match = CHOICE_RE.fullmatch(item)
        if not match:
            return choices, (
                f"Option {index} must be one line starting with [x] (correct) or [ ] (wrong)."
            )
        choices.append((match.group(2).strip(), match.group(1).lower() == "x"))
    return choices, None


def parsed_from_fields(data: dict, slug: str) -> ParsedQuestion:
    """The question as the form's cleaned data describes it (kind-specific parts only for
    their kind), normalised the way the parser normalises."""
    kind = data["kind"]
    question = ParsedQuestion(
        slug=slug,
        title=" ".join(data["title"].split()),
        category=data["category"].slug,
        kind=kind,
        difficulty=data["difficulty"],
        rounds=[r.slug for r in data["rounds"]],
        tags=split_tags(data.get("tags", "")),
        prompt=normalise(data["prompt"]).strip(),
        answer=normalise(data["answer"]).strip(),
        rubric=lines_to_items(data["rubric"]),
        hints=lines_to_items(data.get("hints", "")),
    )
    if kind == Question.Kind.CHOICE:
        question.choices, _ = parse_choice_lines(data.get("choices", ""))
    if kind in RUNNABLE_KINDS:
        question.language = data.get("language", "")
        question.starter = code_text(data.get("starter", ""))
        question.solution = code_text(data.get("solution", ""))
        question.tests = code_text(data.get("tests", ""))
        question.complexity = (data.get("complexity") or "").strip()
        question.wrong_answers = wrong_answer_blocks(
            normalise(data.get("wrong_answers") or ""), question.language
        )
    return question


def form_initial(parsed: ParsedQuestion, visibility: str = Question.Visibility.PRIVATE) -> dict:
    """The authoring form's initial values for a question (edit and duplicate)."""
    return {
        "title": parsed.title,
        "category": parsed.category,
        "kind": parsed.kind,
        "difficulty": parsed.difficulty,
        "rounds": parsed.rounds,
        "tags": ", ".join(parsed.tags),
        "visibility": visibility,
        "prompt": parsed.prompt,
        "answer": parsed.answer,
        "rubric": items_to_lines(parsed.rubric),
        "hints": items_to_lines(parsed.hints),
        "choices": "\n".join(f"[{'x' if ok else ' '}] {text}" for text, ok in parsed.choices),
        "language": parsed.language or "python",
        "starter": parsed.starter,
        "solution": parsed.solution,
        "tests": parsed.tests,
        "complexity": parsed.complexity,
        "wrong_answers": "\n\n".join(
            f"```{parsed.language}\n{code.rstrip()}\n```" for code in parsed.wrong_answers
        ),
    }


def parsed_from_question(question: Question) -> ParsedQuestion:
    """A stored question back as parsed data (prefetch rounds, tags, rubric_points, hints and
    choices when doing this for many)."""
    return ParsedQuestion(
        slug=question.slug,
        title=question.title,
        category=question.category.slug,
        kind=question.kind,
        difficulty=question.difficulty,
        rounds=[r.slug for r in question.rounds.all()],
        tags=[t.slug for t in question.tags.all()],
        prompt=question.prompt,
        answer=question.answer,
        rubric=[p.text for p in question.rubric_points.all()],
        hints=[h.text for h in question.hints.all()],
        choices=[(c.text, c.is_correct) for c in question.choices.all()],
        language=question.language,
        starter=question.starter_code,
        solution=question.solution_code,
        tests=question.test_code,
        wrong_answers=list(question.wrong_answers or []),
        complexity=question.complexity,
    )


def with_parts(queryset):
    """Questions with everything `parsed_from_question` reads, in a fixed number of queries."""
    return queryset.select_related("category").prefetch_related(
        "rounds", "tags", "rubric_points", "hints", "choices"
    )


def parsed_to_dict(parsed: ParsedQuestion) -> dict:
    return asdict(parsed)


def parsed_from_dict(data: dict) -> ParsedQuestion:
    return ParsedQuestion(**{**data, "choices": [tuple(c) for c in data.get("choices", [])]})


def first_difference(expected: ParsedQuestion, parsed: ParsedQuestion) -> str | None:
    """The first part that did not read back as written (None when all did)."""
    for item in fields(ParsedQuestion):
        if item.name != "slug" and getattr(expected, item.name) != getattr(parsed, item.name):
            return item.name
    return None


def locate_error(text: str, line: int | None, reason: str) -> tuple[str | None, int | None]:
    """The form field a parser error in `text` (a dumped question) is about, and the line
    within that field when it helps; (None, None) for an error about the whole question."""
    if line is None:
        match = re.search(r"'## (\w+)'", reason)
        return (SECTION_FIELDS.get(match.group(1).lower()) if match else None), None
    lines = text.split("\n")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), len(lines))
    if line <= end + 1:
        key = "title"
        for number in range(2, min(line, end) + 1):
            name = lines[number - 1].split(":", 1)[0].strip()
            if name in (*FRONT_MATTER_KEYS, *OPTIONAL_FRONT_MATTER_KEYS) and not lines[
                number - 1
            ].startswith((" ", "\t")):
                key = name
        return key, None
    first = None
    for number, section, is_heading in scan(lines[end + 1 :], end + 2):
        if is_heading:
            first = None
        elif first is None and lines[number - 1].strip():
            first = number
        if number == line:
            field = SECTION_FIELDS.get(section)
            if is_heading or first is None:
                return field, None
            relative = line - first + 1 - (1 if field in CODE_FIELDS else 0)
            return field, relative if relative >= 1 else None
    return None, None


# --- The reference solution must pass its tests ------------------------------------------------


def check_solution(user, parsed: ParsedQuestion) -> tuple[str, str] | None:
    """Run a coding or review question's code in the sandbox: the reference solution must pass
    every test, a review question's flawed code must fail one, and each wrong answer must fail
    one. None when so, else (the field at fault, what is wrong)."""
    with throttle.in_request_check(user.pk) as refusal:
        if refusal:
            return "solution", refusal
        return check_code(parsed, deadline=time.monotonic() + CHECK_SECONDS)


# The checks run inside the request, which the proxy ends after 30 s; a run takes at most 10.
CHECK_SECONDS = 18


def check_code(parsed: ParsedQuestion, deadline: float | None = None) -> tuple[str, str] | None:
    """`check_solution` without the per-user throttle (imports take one slot for all); no run
    starts after `deadline` (time.monotonic())."""
    if problem := run_reference(parsed):
        return "solution", problem
    if parsed.kind == Question.Kind.REVIEW and (problem := run_given(parsed)):
        return "starter", problem
    if problem := run_wrong_answers(parsed, deadline):
        return "wrong_answers", problem
    return None


def run_wrong_answers(parsed: ParsedQuestion, deadline: float | None = None) -> str | None:
    """None when the tests reject every wrong answer; else which one they accept, and why it
    is wrong in its own words (its first comment)."""
    for number, code in enumerate(parsed.wrong_answers, start=1):
        if deadline is not None and time.monotonic() > deadline:
            return (
                f"Only {number - 1} of {len(parsed.wrong_answers)} wrong answers could be checked "
                "in the time one save may take: give fewer, or let the too-slow ones fail "
                "sooner (a smaller input can still exceed the CPU limit)."
            )
        try:
            result = runner.run(parsed.language, code, parsed.tests, complexity=parsed.complexity)
        except runner.RunnerDisabled as exc:
            return str(exc)
        if result.all_passed:
            return (
                f"Wrong answer {number} passes every test ({what_is_wrong(code, parsed.language)})"
                ": add a test that catches it."
            )
    return None


def run_given(parsed: ParsedQuestion) -> str | None:
    """None when a review question's flawed code fails its tests, as it must (else nothing
    would grade a fix, and no test could catch it)."""
    try:
        result = runner.run(
            parsed.language, parsed.starter, parsed.tests, complexity=parsed.complexity
        )
    except runner.RunnerDisabled as exc:
        return str(exc)
    if result.all_passed:
        return (
            "The flawed code passes every test: add a test that its bug fails, so that a fix "
            "can be graded."
        )
    return None


def what_is_wrong(code: str, language: str) -> str:
    return wrong_answer_comment(code, language)[:160] or "no comment says why"


def run_reference(parsed: ParsedQuestion) -> str | None:
    """None when the reference solution passes every test, else what went wrong, in words."""
    try:
        result = runner.run(
            parsed.language, parsed.solution, parsed.tests, complexity=parsed.complexity
        )
    except runner.RunnerDisabled as exc:
        return (
            f"Coding and review questions cannot be saved on this server: {exc} Their reference "
            "solution "
            "must pass their tests first."
        )
    if result.all_passed:
        return None
    if result.error:
        return f"The reference solution did not pass its tests: {result.error}"
    if not result.tests:
        return "The reference solution was run but no test reported a result."
    failed = next(t for t in result.tests if not t.passed)
    message = " ".join(failed.message.split())[:300]
    return (
        f"The reference solution passes {result.passed} of {result.total} tests; "
        f"{failed.name} fails: {message}"
    )


# --- Saving ------------------------------------------------------------------------------------


def lookups(questions: Iterable[ParsedQuestion]) -> tuple[dict, dict, dict]:
    """Categories, rounds and tags by slug for `apply_parsed`; missing tags are created."""
    questions = list(questions)
    categories = {
        c.slug: c for c in Category.objects.filter(slug__in={q.category for q in questions})
    }
    rounds = {
        r.slug: r for r in Round.objects.filter(slug__in={s for q in questions for s in q.rounds})
    }
    wanted = {t for q in questions for t in q.tags}
    Tag.objects.bulk_create([Tag(slug=s) for s in sorted(wanted)], ignore_conflicts=True)
    tags = {t.slug: t for t in Tag.objects.filter(slug__in=wanted)}
    return categories, rounds, tags


def create_question(parsed: ParsedQuestion, *, owner, visibility: str) -> Question:
    """Save a new question under a fresh slug from its title. Two saves racing for the same
    slug (a double click) end with the second under the next number, not an error."""
    for attempt in range(3):
        parsed.slug = new_slug(owner, parsed.title)
        try:
            return save_question(parsed, owner=owner, visibility=visibility)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def save_question(
    parsed: ParsedQuestion, *, owner, visibility: str, question: Question | None = None
) -> Question:
    """Create or update one of `owner`'s questions from parsed data, parts and all."""
    with transaction.atomic(), one_bank_change():
        question = question or Question(owner=owner)
        question.owner = owner
        question.visibility = visibility
        return apply_parsed(question, parsed, *lookups([parsed]))
