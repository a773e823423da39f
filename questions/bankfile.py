"""Parse and validate one question file in the bank format (../shared/DESIGN.md).

This module is the single parser for the built-in bank, `loadbank`, user imports and exports.
It is pure: no database, no Django. Every problem is reported as a `BankFormatError` naming the
file, the line and the reason; no other exception escapes `parse()` (fuzzed with hypothesis).
"""

from __future__ import annotations

import io
import re
import reprlib
import tokenize
from dataclasses import dataclass, field

import yaml

KINDS = ("flashcard", "choice", "coding", "design", "review")
# Kinds whose answers run in the sandbox against the question's tests.
RUNNABLE_KINDS = frozenset({"coding", "review"})
DIFFICULTIES = ("easy", "medium", "hard")
LANGUAGES = ("python", "sql")
FRONT_MATTER_KEYS = ("title", "category", "kind", "difficulty", "rounds", "tags")
# Optional: a coding or review question's required time complexity, which its tests enforce (a too-slow
# solution runs out of CPU time and is told it is "too slow for the required O(...)").
OPTIONAL_FRONT_MATTER_KEYS = ("complexity",)
COMPLEXITY_RE = re.compile(r"O\([\w\s+*^/·.,-]{1,40}\)")
SECTIONS = (
    "answer", "rubric", "hints", "choices", "given", "starter", "solution", "tests",
    "wrong answers",
)  # fmt: skip
SECTIONS_BY_KIND = {
    "flashcard": {"answer", "rubric", "hints"},
    "design": {"answer", "rubric", "hints"},
    "choice": {"answer", "rubric", "hints", "choices"},
    "coding": {"answer", "rubric", "hints", "starter", "solution", "tests", "wrong answers"},
    # The flawed, AI-written code to catch with a test, fix and explain (## Given).
    "review": {"answer", "rubric", "hints", "given", "solution", "tests", "wrong answers"},
}
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
TAG_RE = re.compile(r"[a-z0-9]+(?:[-+.][a-z0-9]+)*")
FENCE_RE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)\s*$")
HEADING_RE = re.compile(r"^##\s+(.+?)\s*#*\s*$")
BULLET_RE = re.compile(r"^[-*]\s+(.*)$")
CHOICE_RE = re.compile(r"^\[([ xX])\]\s+(.+)$")

# Bounds keep hostile input cheap: Markdown and Pygments run over every field on save.
MAX_FILE_CHARS = 200_000
MAX_FRONT_MATTER_CHARS = 4_000
MAX_SECTION_CHARS = 50_000  # code: starter, solution, tests
# Markdown (the prompt, answer, rubric, hints and choices) is rendered on every save, and its
# cost grows with its length (questions/rendering/); the longest built-in one is 2,633.
MAX_TEXT_SECTION_CHARS = 20_000
CODE_SECTIONS = frozenset({"given", "starter", "solution", "tests", "wrong answers"})
MAX_WRONG_ANSWERS = 10
# A wrong answer says what is wrong with it in a comment, so a reader (and an author whose tests
# let it pass) knows which mistake the tests must catch.
COMMENT_PREFIX = {"python": "#", "sql": "--"}
MAX_TITLE_CHARS = 200
MAX_ITEMS = 12
MAX_TAGS = 10


class _ShortRepr(reprlib.Repr):
    def repr_int(self, x: int, level: int) -> str:
        # repr() of a huge int is slow, and refused past 4,300 digits.
        return super().repr_int(x, level) if x.bit_length() <= 256 else "<a very large number>"


_SHORT_REPR = _ShortRepr(
    maxlevel=2, maxtuple=3, maxlist=3, maxarray=3, maxdict=3, maxset=3, maxfrozenset=3,
    maxdeque=3, maxstring=40, maxlong=40, maxother=40,
)  # fmt: skip


def shown(value: object, limit: int = 40) -> str:
    """A short repr of a user's value for an error message. Bounded work whatever the value is:
    a container shows its first few items and levels, a string or number its first `limit`
    characters (never `repr()` of the whole value, which an alias bomb makes enormous)."""
    text = _SHORT_REPR.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _AliasError(yaml.YAMLError):
    def __init__(self, mark):
        self.problem_mark = mark


class FrontMatterLoader(yaml.SafeLoader):
    """`yaml.safe_load` without anchors and aliases. The front matter never needs them, and an
    alias to an alias to ... (a "billion laughs") makes a few hundred bytes expand into a
    structure of billions of items wherever it is walked, printed or compared."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _AliasError(event.start_mark)
        return super().compose_node(parent, index)


def load_front_matter(raw: str):
    """YAML as `yaml.safe_load` reads it, refusing anchors (&name) and aliases (*name)."""
    loader = FrontMatterLoader(raw)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


class BankFormatError(ValueError):
    """A question file that breaks the format: where, and why."""

    def __init__(self, path: str, line: int | None, reason: str):
        self.path, self.line, self.reason = path, line, reason
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {reason}")


@dataclass
class ParsedQuestion:
    slug: str
    title: str
    category: str
    kind: str
    difficulty: str
    rounds: list[str]
    tags: list[str]
    prompt: str
    answer: str
    rubric: list[str]
    hints: list[str] = field(default_factory=list)
    choices: list[tuple[str, bool]] = field(default_factory=list)
    language: str = ""
    # The code the user starts from: a coding question's starter, or a review question's
    # flawed code (its '## Given'), which the user catches with a test and then fixes.
    starter: str = ""
    solution: str = ""
    tests: str = ""
    wrong_answers: list[str] = field(default_factory=list)
    complexity: str = ""


@dataclass
class _Section:
    name: str
    line: int  # line number of the heading (or of the first body line for the prompt)
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines).strip()


def slug_from_filename(filename: str) -> str:
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return name[:-3] if name.endswith(".md") else name


def parse(
    text: str,
    path: str,
    *,
    categories: set[str] | frozenset[str] | None = None,
    rounds: set[str] | frozenset[str] | None = None,
) -> ParsedQuestion:
    """Parse one file's text; `categories`/`rounds` are the known slugs (None: accept any)."""
    slug = slug_from_filename(path)
    if not SLUG_RE.fullmatch(slug):
        raise BankFormatError(
            path, None, "file name must be a slug: lowercase letters, digits and hyphens, .md"
        )
    if len(text) > MAX_FILE_CHARS:
        raise BankFormatError(path, None, f"file is longer than {MAX_FILE_CHARS} characters")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise BankFormatError(path, None, "file contains a NUL character")
    meta, body_start = _front_matter(text, path)
    lines = text.split("\n")[body_start:]
    sections = _split_sections(lines, body_start + 1, path)

    kind = meta["kind"]
    allowed = SECTIONS_BY_KIND[kind]
    for section in sections.values():
        if section.name != "prompt" and section.name not in allowed:
            raise BankFormatError(
                path,
                section.line,
                f"section '## {section.name.title()}' is not used by kind {kind}",
            )
    for section in sections.values():
        limit = MAX_SECTION_CHARS if section.name in CODE_SECTIONS else MAX_TEXT_SECTION_CHARS
        if len(section.text) > limit:
            raise BankFormatError(
                path, section.line, f"section is longer than {limit:,} characters"
            )

    prompt = sections["prompt"].text
    if not prompt:
        raise BankFormatError(
            path, sections["prompt"].line, "the prompt (text before the first ## section) is empty"
        )
    for required in ("answer", "rubric"):
        if required not in sections or not sections[required].text:
            raise BankFormatError(path, None, f"missing or empty '## {required.title()}' section")

    question = ParsedQuestion(
        slug=slug,
        title=meta["title"],
        category=meta["category"],
        kind=kind,
        difficulty=meta["difficulty"],
        rounds=meta["rounds"],
        tags=meta["tags"],
        prompt=prompt,
        answer=sections["answer"].text,
        rubric=_bullets(sections["rubric"], path, minimum=1),
        hints=_bullets(sections["hints"], path, minimum=0) if "hints" in sections else [],
    )
    if categories is not None and question.category not in categories:
        raise BankFormatError(
            path, meta["_lines"]["category"], f"unknown category '{question.category}'"
        )
    if rounds is not None:
        for round_slug in question.rounds:
            if round_slug not in rounds:
                raise BankFormatError(
                    path, meta["_lines"]["rounds"], f"unknown round '{round_slug}'"
                )
    if kind == "choice":
        question.choices = _choices(sections, path)
    if kind in RUNNABLE_KINDS:
        _coding_parts(question, sections, path)
        question.complexity = meta.get("complexity", "")
    elif "complexity" in meta:
        raise BankFormatError(
            path,
            meta["_lines"].get("complexity", 2),
            "only coding and review questions take a complexity",
        )
    return question


def _front_matter(text: str, path: str) -> tuple[dict, int]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise BankFormatError(path, 1, "file must start with '---' and YAML front matter")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        raise BankFormatError(path, 1, "front matter is not closed by a '---' line") from None
    raw = "\n".join(lines[1:end])
    if len(raw) > MAX_FRONT_MATTER_CHARS:
        raise BankFormatError(path, 2, "front matter is too long")
    try:
        data = load_front_matter(raw)
    except _AliasError as exc:
        raise BankFormatError(
            path,
            exc.problem_mark.line + 2,
            "YAML anchors and aliases (&name, *name) are not allowed in the front matter",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 2
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise BankFormatError(path, line, f"front matter is not valid YAML: {problem}") from None
    except RecursionError:
        raise BankFormatError(path, 2, "front matter is nested too deeply") from None
    if not isinstance(data, dict):
        raise BankFormatError(path, 2, "front matter must be a mapping of keys to values")

    known_keys = FRONT_MATTER_KEYS + OPTIONAL_FRONT_MATTER_KEYS
    key_lines = {}
    for offset, line in enumerate(lines[1:end], start=2):
        key = line.split(":", 1)[0].strip()
        if key in known_keys and not line.startswith((" ", "\t")):
            key_lines.setdefault(key, offset)

    unknown = sorted(
        k[:40] if isinstance(k, str) else shown(k) for k in data if k not in known_keys
    )
    if unknown:
        listed = ", ".join(unknown[:5]) + (
            f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        )
        raise BankFormatError(path, 2, f"unknown front matter key(s): {listed}")
    for key in FRONT_MATTER_KEYS:
        if key not in data:
            raise BankFormatError(path, 2, f"front matter is missing '{key}'")

    def fail(key: str, reason: str):
        raise BankFormatError(path, key_lines.get(key, 2), reason)

    meta: dict = {"_lines": key_lines}
    title = data["title"]
    if not isinstance(title, str) or not title.strip():
        fail("title", "title must be a non-empty string")
    if len(title) > MAX_TITLE_CHARS:
        fail("title", f"title is longer than {MAX_TITLE_CHARS} characters")
    meta["title"] = " ".join(title.split())
    for key, choices in (("kind", KINDS), ("difficulty", DIFFICULTIES)):
        value = data[key]
        if value not in choices:
            fail(key, f"{key} must be one of {', '.join(choices)} (got {shown(value)})")
        meta[key] = value
    category = data["category"]
    if not isinstance(category, str) or not SLUG_RE.fullmatch(category):
        fail("category", "category must be a category slug such as ml-fundamentals")
    meta["category"] = category
    for key, pattern, minimum, maximum in (
        ("rounds", SLUG_RE, 1, 7),
        ("tags", TAG_RE, 0, MAX_TAGS),
    ):
        value = data[key]
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            fail(key, f"{key} must be a list like [a, b]")
        if not minimum <= len(value) <= maximum:
            fail(key, f"{key} must list between {minimum} and {maximum} items")
        bad = [v for v in value if not pattern.fullmatch(v)]
        if bad:
            fail(key, f"{key} must be lowercase slugs; '{bad[0]:.40}' is not")
        if len(set(value)) != len(value):
            fail(key, f"{key} lists the same item twice")
        meta[key] = list(value)
    if "complexity" in data:
        complexity = data["complexity"]
        if not isinstance(complexity, str) or not COMPLEXITY_RE.fullmatch(complexity.strip()):
            fail(
                "complexity", "complexity must look like O(n log n) (got " + shown(complexity) + ")"
            )
        meta["complexity"] = complexity.strip()
    return meta, end + 1


def _split_sections(lines: list[str], first_line_no: int, path: str) -> dict[str, _Section]:
    sections = {"prompt": _Section("prompt", first_line_no, [])}
    current = sections["prompt"]
    fence: str | None = None
    fence_line = 0
    for number, line in enumerate(lines, start=first_line_no):
        match = FENCE_RE.match(line.strip()) if len(line) - len(line.lstrip()) < 4 else None
        if match:
            marker = match.group(1)
            if fence is None:
                fence, fence_line = marker, number
            elif marker[0] == fence[0] and len(marker) >= len(fence) and not match.group(2):
                fence = None
            current.lines.append(line)
            continue
        heading = HEADING_RE.match(line) if fence is None else None
        if heading:
            name = heading.group(1).strip().lower()
            if name not in SECTIONS:
                raise BankFormatError(
                    path,
                    number,
                    f"unknown section '## {heading.group(1)[:40]}'; sections are "
                    + ", ".join(s.title() for s in SECTIONS)
                    + " (use ### for headings inside a section)",
                )
            if name in sections:
                raise BankFormatError(path, number, f"section '## {name.title()}' appears twice")
            current = sections[name] = _Section(name, number, [])
            continue
        current.lines.append(line)
    if fence is not None:
        raise BankFormatError(path, fence_line, "code block is not closed")
    return sections


def _bullets(section: _Section, path: str, *, minimum: int) -> list[str]:
    items: list[str] = []
    for offset, line in enumerate(section.lines, start=1):
        if not line.strip():
            continue
        match = BULLET_RE.match(line)
        if match:
            items.append(match.group(1).strip())
        elif line.startswith((" ", "\t")) and items:
            items[-1] += "\n" + line.strip()
        else:
            raise BankFormatError(
                path,
                section.line + offset,
                f"'## {section.name.title()}' must be a list of '- ' items",
            )
    if len(items) < minimum:
        raise BankFormatError(
            path, section.line, f"'## {section.name.title()}' needs at least {minimum} item(s)"
        )
    if len(items) > MAX_ITEMS:
        raise BankFormatError(
            path, section.line, f"'## {section.name.title()}' has more than {MAX_ITEMS} items"
        )
    if any(not item for item in items):
        raise BankFormatError(path, section.line, f"'## {section.name.title()}' has an empty item")
    return items


def _choices(sections: dict[str, _Section], path: str) -> list[tuple[str, bool]]:
    if "choices" not in sections:
        raise BankFormatError(path, None, "kind choice needs a '## Choices' section")
    section = sections["choices"]
    choices = []
    for index, item in enumerate(_bullets(section, path, minimum=2)):
        match = CHOICE_RE.match(item)
        if not match:
            raise BankFormatError(
                path, section.line, f"choice {index + 1} must start with '[x] ' or '[ ] '"
            )
        choices.append((match.group(2).strip(), match.group(1).lower() == "x"))
    if not any(correct for _, correct in choices):
        raise BankFormatError(path, section.line, "at least one choice must be marked [x]")
    if all(correct for _, correct in choices):
        raise BankFormatError(path, section.line, "at least one choice must be wrong ([ ])")
    return choices


def _coding_parts(question: ParsedQuestion, sections: dict[str, _Section], path: str) -> None:
    """The code sections of a coding question, or of a review question (whose '## Given' takes
    the starter's place: it is where the user's fix starts)."""
    start = "given" if question.kind == "review" else "starter"
    blocks = {}
    for name in (start, "solution", "tests"):
        if name not in sections:
            raise BankFormatError(
                path, None, f"kind {question.kind} needs a '## {name.title()}' section"
            )
        blocks[name] = _one_code_block(sections[name], path)
    blocks["starter"] = blocks.pop(start)
    sections = {**sections, "starter": sections[start]}
    language = blocks["starter"][0]
    if language not in LANGUAGES:
        raise BankFormatError(
            path, sections["starter"].line, f"the {start} code block must be ```python or ```sql"
        )
    if blocks["solution"][0] != language:
        raise BankFormatError(
            path, sections["solution"].line, f"the solution must be ```{language} like the {start}"
        )
    if blocks["tests"][0] != "python":
        raise BankFormatError(path, sections["tests"].line, "the tests must be a ```python block")
    tests = blocks["tests"][1]
    if not re.search(r"^def test_\w*\s*\(", tests, re.M):
        raise BankFormatError(
            path, sections["tests"].line, "the tests need at least one 'def test_...():' function"
        )
    python_parts = ["tests"] + (["starter", "solution"] if language == "python" else [])
    for name in python_parts:
        shown_name = start if name == "starter" else name
        try:
            compile(blocks[name][1], f"{name}.py", "exec", dont_inherit=True)
        except SyntaxError as exc:
            line = sections[name].line + 1 + (exc.lineno or 1)
            raise BankFormatError(
                path, line, f"{shown_name} has a Python syntax error: {exc.msg}"
            ) from None
        except (ValueError, RecursionError, MemoryError):
            raise BankFormatError(
                path, sections[name].line, f"{shown_name} is not valid Python"
            ) from None
    question.language = language
    question.starter, question.solution, question.tests = (
        blocks["starter"][1],
        blocks["solution"][1],
        tests,
    )
    if "wrong answers" in sections:
        question.wrong_answers = _wrong_answers(sections["wrong answers"], language, path)


def wrong_answer_blocks(text: str, language: str, path: str = "wrong answers") -> list[str]:
    """The wrong answers written as fenced blocks (the authoring form's field), validated as the
    bank format's '## Wrong answers' section is; [] for blank text."""
    if not text.strip():
        return []
    return _wrong_answers(_Section("wrong answers", 0, text.split("\n")), language, path)


def _wrong_answers(section: _Section, language: str, path: str) -> list[str]:
    """One or more fenced blocks in the question's language, each saying in a comment what is
    wrong with it; nothing but blank lines between them."""
    answers, inside, opening, start = [], False, None, 0
    for offset, line in enumerate(section.lines):
        line_no = section.line + 1 + offset
        fence = FENCE_RE.match(line.strip())
        if not inside:
            if fence:
                inside, opening, start = True, fence, offset + 1
                if fence.group(2).lower() != language:
                    raise BankFormatError(
                        path, line_no, f"each wrong answer must be a ```{language} block"
                    )
            elif line.strip():
                raise BankFormatError(
                    path, line_no, "'## Wrong answers' holds only fenced code blocks"
                )
        elif (
            fence
            and not fence.group(2)
            and fence.group(1)[0] == opening.group(1)[0]
            and len(fence.group(1)) >= len(opening.group(1))
        ):
            inside = False
            code = "\n".join(section.lines[start:offset]).rstrip() + "\n"
            _check_wrong_answer(code, language, path, section.line + 1 + start)
            answers.append(code)
    if inside:
        raise BankFormatError(path, section.line, "a wrong answer's code block is not closed")
    if not answers:
        raise BankFormatError(path, section.line, "'## Wrong answers' has no code block")
    if len(answers) > MAX_WRONG_ANSWERS:
        raise BankFormatError(
            path, section.line, f"at most {MAX_WRONG_ANSWERS} wrong answers per question"
        )
    return answers


def wrong_answer_comment(code: str, language: str) -> str:
    """The first comment in a wrong answer (what is wrong with it), "" when it has none."""
    if language == "python":
        try:
            for token in tokenize.generate_tokens(io.StringIO(code).readline):
                if token.type == tokenize.COMMENT:
                    return token.string.lstrip("#").strip()
        except (tokenize.TokenError, SyntaxError, ValueError):
            return ""
        return ""
    for row in code.splitlines():
        if "--" in row:
            return row.split("--", 1)[1].strip()
    return ""


def _check_wrong_answer(code: str, language: str, path: str, line: int) -> None:
    if language == "python":
        try:
            compile(code, "wrong_answer.py", "exec", dont_inherit=True)
        except SyntaxError as exc:
            raise BankFormatError(
                path, line + (exc.lineno or 1) - 1, f"a wrong answer has a syntax error: {exc.msg}"
            ) from None
        except (ValueError, RecursionError, MemoryError):
            raise BankFormatError(path, line, "a wrong answer is not valid Python") from None
    if not wrong_answer_comment(code, language):
        prefix = COMMENT_PREFIX[language]
        raise BankFormatError(
            path, line, f"a wrong answer needs a '{prefix}' comment saying what is wrong with it"
        )


def _one_code_block(section: _Section, path: str) -> tuple[str, str]:
    text = section.text
    lines = text.split("\n")
    opening = FENCE_RE.match(lines[0].strip()) if lines else None
    closing = FENCE_RE.match(lines[-1].strip()) if len(lines) > 1 else None
    if not opening or not closing or closing.group(2) or closing.group(1)[0] != opening.group(1)[0]:
        raise BankFormatError(
            path, section.line, f"'## {section.name.title()}' must be exactly one fenced code block"
        )
    inner = lines[1:-1]
    if any(FENCE_RE.match(line.strip()) for line in inner):
        raise BankFormatError(
            path, section.line, f"'## {section.name.title()}' must be exactly one fenced code block"
        )
    return opening.group(2).lower(), "\n".join(inner).rstrip() + "\n"


def dump(question: ParsedQuestion) -> str:
    """Write a question back in the bank format; parse(dump(q)) reproduces q."""
    front = {
        "title": question.title,
        "category": question.category,
        "kind": question.kind,
        "difficulty": question.difficulty,
        "rounds": question.rounds,
        "tags": question.tags,
    }
    if question.complexity:
        front["complexity"] = question.complexity
    head = yaml.safe_dump(
        front, sort_keys=False, allow_unicode=True, default_flow_style=None, width=1000
    )
    parts = ["---\n" + head + "---", question.prompt]

    def bullets(items: list[str]) -> str:
        return "\n".join("- " + item.replace("\n", "\n  ") for item in items)

    if question.kind == "choice":
        parts.append(
            "## Choices\n" + bullets([f"[{'x' if c else ' '}] {t}" for t, c in question.choices])
        )
    if question.kind in RUNNABLE_KINDS:
        start = "Given" if question.kind == "review" else "Starter"
        for name, code, lang in (
            (start, question.starter, question.language),
            ("Solution", question.solution, question.language),
            ("Tests", question.tests, "python"),
        ):
            parts.append(f"## {name}\n```{lang}\n{code.rstrip()}\n```")
        if question.wrong_answers:
            blocks = (
                f"```{question.language}\n{code.rstrip()}\n```" for code in question.wrong_answers
            )
            parts.append("## Wrong answers\n" + "\n\n".join(blocks))
    parts.append("## Answer\n" + question.answer)
    parts.append("## Rubric\n" + bullets(question.rubric))
    if question.hints:
        parts.append("## Hints\n" + bullets(question.hints))
    return "\n\n".join(parts) + "\n"
