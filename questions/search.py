"""Ranked full-text search over questions, one behaviour on both databases.

The database's own full-text index does the work: SQLite's FTS5 (an external-content table
kept in sync by triggers) and PostgreSQL's `tsvector` (a stored generated column with a GIN
index); migration 0009 creates either. Both stem English words (Porter on SQLite, the
`english` configuration on PostgreSQL), so "regularizing" finds "regularization".

What a user may type, parsed here once and translated for each database:
- words: every one must match (in the title, prompt or answer);
- "an exact phrase" in double quotes;
- -word: questions containing it are left out;
- the last word matches as a prefix while it is being typed ("regul" finds "regularization"),
  unless the query ends with a space.

Order: by the database's relevance score (bm25 / ts_rank) with the title weighted 100, the
prompt 10 and the answer 1, so questions whose title matches come first, then those whose
prompt matches, then answer-only matches.

Counting the matches (for the page count) needs no score: `count_matches` counts without it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

from django.db import connection
from django.utils.safestring import SafeString, mark_safe

MAX_TERMS = 8
MAX_TERM_CHARS = 40
FTS_TABLE = "questions_question_fts"
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_TOKEN = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')


@dataclass
class Query:
    words: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    prefix: bool = False  # the last word is still being typed

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.phrases)

    @property
    def highlighted(self) -> list[str]:
        return self.words + [word for phrase in self.phrases for word in phrase]


def _words(text: str) -> list[str]:
    return [w[:MAX_TERM_CHARS] for w in _WORD.findall(text.lower())]


def parse(text: str) -> Query:
    """The user's text as words, phrases and exclusions; bounded to MAX_TERMS terms."""
    query = Query()
    budget = MAX_TERMS
    last_was_word = False
    for match in _TOKEN.finditer(text[:400]):
        if budget <= 0:
            break
        negated_phrase, phrase, negated_word, word = match.groups()
        if phrase is not None:
            words = _words(phrase)[:budget]
            budget -= len(words)
            if negated_phrase:
                query.excluded.extend(words)  # -"a b" leaves out questions with either word
            elif len(words) == 1:
                query.words.extend(words)
            elif words:
                query.phrases.append(words)
            last_was_word = False
            continue
        words = _words(word)[:budget]
        budget -= len(words)
        if negated_word:
            query.excluded.extend(words)
            last_was_word = False
        else:
            query.words.extend(words)
            last_was_word = bool(words)
    query.prefix = last_was_word and bool(text) and not text[-1].isspace()
    return query


# --- SQLite FTS5 -----------------------------------------------------------------------------


def _fts_expression(query: Query) -> str:
    """An FTS5 query: every word and phrase quoted (so nothing the user types is syntax)."""
    parts = [f'"{w}"' for w in query.words]
    if query.prefix and parts:
        parts[-1] += "*"
    parts += ['"' + " ".join(phrase) + '"' for phrase in query.phrases]
    expression = " AND ".join(parts)
    for word in query.excluded:
        expression = f'({expression}) NOT "{word}"'
    return expression


def _sqlite(queryset, query: Query):
    # The SQL here is constant; what the user typed only ever travels as a parameter (%s).
    return queryset.extra(  # noqa: S610 - joins the FTS table, which the ORM cannot express
        tables=[FTS_TABLE],
        where=[f"{FTS_TABLE}.rowid = questions_question.id", f"{FTS_TABLE} MATCH %s"],
        params=[_fts_expression(query)],
        # bm25 is smaller for better matches. Column weights 100 (title), 10 (prompt) and 1
        # (answer) put title matches first, then prompt matches: a column's share of the score
        # is its weight times a term score that varies by less than 10x between documents.
        select={"search_rank": f"-bm25({FTS_TABLE}, 100.0, 10.0, 1.0)"},
    )


# --- PostgreSQL tsvector ---------------------------------------------------------------------


def _tsquery(query: Query, *, exclusions: bool = True) -> str:
    """A to_tsquery() text: words ANDed, phrases with <->, exclusions with !, the word being
    typed as a prefix (:*). Terms are letters and digits only (parse() made them so), so
    nothing the user types is syntax here either."""

    def term(word: str, prefix: bool = False) -> str:
        return f"{word}:*" if prefix else word

    parts = [term(w, query.prefix and i == len(query.words) - 1) for i, w in enumerate(query.words)]
    parts += ["(" + " <-> ".join(term(w) for w in phrase) + ")" for phrase in query.phrases]
    if exclusions:
        parts += [f"!{w}" for w in query.excluded]
    return " & ".join(parts)


def _postgresql(queryset, query: Query):
    # The SQL is constant; the query text is a parameter. The column is not a model field.
    return queryset.extra(
        where=["questions_question.search_vector @@ to_tsquery('english', %s)"],
        params=[_tsquery(query)],
        # Weights for D, C (answer), B (prompt) and A (title), as for SQLite's bm25: title
        # matches first, then prompt matches, then answer-only ones.
        select={
            "search_rank": "ts_rank('{0, 0.01, 0.1, 1}', questions_question.search_vector, "
            "to_tsquery('english', %s))"
        },
        # Scored on the wanted terms only: ts_rank's score of an AND that holds a negation
        # does not follow the weights.
        select_params=[_tsquery(query, exclusions=False)],
    )


def search(queryset, text: str):
    """`queryset` narrowed to the questions matching `text`, best first (see the module
    docstring); unchanged when `text` holds no word to search for."""
    query = parse(text)
    if query.is_empty:
        return queryset
    ranked = _postgresql if connection.vendor == "postgresql" else _sqlite
    return ranked(queryset, query).order_by("-search_rank", "pk")


def count_matches(queryset, up_to: int) -> int:
    """How many rows a (searched) queryset holds, at most `up_to`, without scoring them."""
    return queryset.order_by().values("pk")[:up_to].count()


# --- Highlighting ----------------------------------------------------------------------------


_SUFFIXES = (
    "izations", "ization", "isation", "ations", "ation", "izing", "ising", "ized", "ised",
    "izes", "ises", "ize", "ise", "ings", "ing", "ies", "ied", "ed", "es", "ly", "s",
)  # fmt: skip


def _stem(word: str) -> str:
    """A rough English stem, to mark "regularized" when "regularization" was searched."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _stem_pattern(query: Query) -> re.Pattern | None:
    """Words starting like a searched word's stem, for marking matches in Python."""
    stems = sorted({_stem(w) for w in query.highlighted}, key=len)
    if not stems:
        return None
    return re.compile(
        r"(?<![^\W_])(?:" + "|".join(re.escape(s) for s in reversed(stems)) + r")[^\W_]*",
        re.IGNORECASE,
    )


def highlight(text: str, query: Query) -> SafeString:
    """`text` escaped, with the searched words wrapped in <mark>."""
    pattern = _stem_pattern(query)
    if pattern is None:
        return mark_safe(escape(text))  # noqa: S308 - escaped just here
    out, last = [], 0
    for match in pattern.finditer(text):
        out.append(escape(text[last : match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308 - every piece escaped above


_MARKUP = re.compile(r"```.*?```|[`*_#>$|\[\]()]+|\s+", re.DOTALL)


def snippet(question, query: Query, width: int = 180) -> SafeString:
    """Where the searched words occur in the prompt (else the answer), as a short excerpt."""
    pattern = _stem_pattern(query)
    for text in (question.prompt, question.answer):
        plain = _MARKUP.sub(" ", text).strip()
        match = pattern.search(plain) if pattern else None
        if match:
            start = max(0, match.start() - width // 3)
            excerpt = plain[start : start + width]
            prefix = "… " if start else ""
            suffix = " …" if start + width < len(plain) else ""
            return mark_safe(prefix + highlight(excerpt, query) + suffix)  # noqa: S308
    return mark_safe("")
