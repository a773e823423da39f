"""Linear-time replacements for Python-Markdown's quadratic scans, and bounds on hostile input.

Hostile input must not be slow: Python-Markdown's stock processors rescan the rest of a text
(or of a block) for every candidate, so `[` * 6,000 took 16 s. Each processor here and in
`linear_inline` keeps the stock processor's result and changes only how it is found: the
built-in bank renders byte for byte as with stock Python-Markdown, and so does random Markdown.
tests/test_dos_markdown.py checks both, and renders every pathological family we know of at
the largest size a user may submit and bounds the time.

The deliberate differences are for input no question needs: a link's "(destination 'title')"
is read at most MAX_LINK_CHARS characters or MAX_LINK_EVENTS brackets and quotes far, and a
link inside more than MAX_INLINE_DEPTH elements stays text; a run of more than
MAX_DELIMITER_RUN '*' and '_' is text (those four are in `linear_inline`); at most
MAX_NESTING_PER_LINE quote and list markers nest on one line (NestingCap); code is not
highlighted past MAX_HIGHLIGHTED_BLOCKS blocks or MAX_HIGHLIGHTED_CHARS characters of code in
one text; and a RecursionError shows the text escaped instead of an error page (`_render` in
`questions.rendering`).
"""

import bisect
import re
import xml.etree.ElementTree as etree

import markdown
from markdown import blockprocessors
from markdown.extensions.tables import TableProcessor
from markdown.preprocessors import Preprocessor

from questions.rendering.linear_inline import harden_inline

MAX_HIGHLIGHTED_BLOCKS = 100
MAX_HIGHLIGHTED_CHARS = 20_000


class _TailSearch:
    """A block processor's regex whose `search` remembers where the first match was in the last
    few blocks. A block processor that takes a line or two off a block puts the rest back, and
    the stock processors then search that rest again from its start: with one header or rule
    per line, every line cost a scan of the whole block. The rest is a tail of a block already
    searched, starting at a line, so the answer is known without scanning it again."""

    def __init__(self, regex: re.Pattern, remember: int = 8):
        self.regex, self.remember = regex, remember
        self.seen: list[tuple[str, int | None]] = []

    def __getattr__(self, name: str):
        return getattr(self.regex, name)

    def search(self, string: str, *args, **kwargs):
        if args or kwargs:
            return self.regex.search(string, *args, **kwargs)
        for block, first in self.seen:
            offset = len(block) - len(string)
            if offset < 0 or (first is not None and first < offset):
                continue
            if offset == 0:
                if block is not string and block != string:
                    continue
            elif block[offset - 1] != "\n" or not block.endswith(string):
                continue
            return None if first is None else self.regex.search(string, first - offset)
        match = self.regex.search(string)
        self.seen.insert(0, (string, match.start() if match else None))
        del self.seen[self.remember :]
        return match


class _Setext(blockprocessors.SetextHeaderProcessor):
    """The stock setext headers, putting back the rest of the block without splitting all of it
    into lines and joining them again for every header."""

    def run(self, parent, blocks: list[str]) -> None:
        lines = blocks.pop(0).split("\n", 2)
        header = etree.SubElement(parent, "h1" if lines[1].startswith("=") else "h2")
        header.text = lines[0].strip()
        if len(lines) > 2:
            blocks.insert(0, lines[2])


class _CodeBlock(blockprocessors.CodeBlockProcessor):
    """The stock indented code blocks, taking the indented lines off the block without
    splitting the rest of it into lines and joining them again for every block."""

    def detab(self, text: str, length: int | None = None) -> tuple[str, str]:
        indent = " " * (self.tab_length if length is None else length)
        kept: list[str] = []
        start = 0
        while True:
            end = text.find("\n", start)
            line = text[start:] if end < 0 else text[start:end]
            if line.startswith(indent):
                kept.append(line[len(indent) :])
            elif not line.strip():
                kept.append("")
            else:
                return "\n".join(kept), text[start:]
            if end < 0:
                return "\n".join(kept), ""
            start = end + 1


def _lines_after_first(block: str):
    start = block.find("\n") + 1
    while start:
        end = block.find("\n", start)
        yield block[start:] if end < 0 else block[start:end]
        start = end + 1


class _Tables(TableProcessor):
    """The stock tables, but `test` reads only the rows it needs (the stock one splits the whole
    block into rows for every block it is asked about), and cells are split in n log n."""

    def test(self, parent, block: str) -> bool:
        if "\n" not in block:
            return False
        header, second = (row.strip(" ") for row in block.split("\n", 2)[:2])
        self.border = 0
        if header.startswith("|"):
            self.border |= 1  # PIPE_LEFT
        if self.RE_END_BORDER.search(header) is not None:
            self.border |= 2  # PIPE_RIGHT
        columns = len(self._split_row(header))
        is_table = columns > 1
        if not is_table and columns == 1 and self.border:
            for row in _lines_after_first(block):
                row = row.strip(" ")
                is_table = row.startswith("|") or self.RE_END_BORDER.search(row) is not None
                if not is_table:
                    break
        if is_table:
            row = self._split_row(second)
            is_table = len(row) == columns and set("".join(row)) <= set("|:- ")
            if is_table:
                self.separator = row
        return is_table

    def _split(self, row: str) -> list[str]:
        """Cells between the pipes that are not inside a code span (as the stock `_split`)."""
        ticks: list[int] = []
        spans: list[tuple[int, int, int]] = []  # start, end, escaped
        pipes: list[int] = []
        for m in self.RE_CODE_PIPES.finditer(row):
            if m.group(2):
                ticks.append(len(m.group(2)) - 1)
                spans.append((m.start(2), m.end(2) - 1, 1))
            elif m.group(3):
                ticks.append(len(m.group(3)))
                spans.append((m.start(3), m.end(3) - 1, 0))
            elif m.group(5):
                pipes.append(m.start(5))
        where: dict[int, list[int]] = {}
        for index, length in enumerate(ticks):
            where.setdefault(length, []).append(index)
        regions: list[tuple[int, int]] = []
        index = 0
        while index < len(ticks):
            length = ticks[index] - spans[index][2]
            later = where.get(length, []) if length else []
            found = bisect.bisect_right(later, index)
            if found < len(later):
                regions.append((spans[index][0], spans[later[found]][1]))
                index = later[found] + 1
            else:
                index += 1
        starts = [start for start, _ in regions]
        cells, begin = [], 0
        for pipe in pipes:
            region = bisect.bisect_right(starts, pipe) - 1
            if region >= 0 and pipe <= regions[region][1]:
                continue
            cells.append(row[begin:pipe])
            begin = pipe + 1
        cells.append(row[begin:])
        return cells


_FENCE_LINE = re.compile(r"^(?:`{3,}|~{3,})", re.M)
# A line followed by an indented one (which may start an indented code block).
_BEFORE_INDENTED = re.compile(r"^(?! {4}|\t).*\n(?= {4}|\t)", re.M)


def should_highlight(text: str) -> bool:
    """Whether to highlight this text's code: not when it holds more code than any question
    needs (Pygments costs up to 10 microseconds a character, and 0.5 ms a block). Indented
    lines after a line that is not are counted as blocks too (an upper bound)."""
    fences = [m.start() for m in _FENCE_LINE.finditer(text)]
    blocks = len(fences) // 2 + text.startswith(("    ", "\t"))
    if blocks > MAX_HIGHLIGHTED_BLOCKS:
        return False
    for _ in _BEFORE_INDENTED.finditer(text):
        blocks += 1
        if blocks > MAX_HIGHLIGHTED_BLOCKS:
            return False
    inside = sum(fences[i + 1] - fences[i] for i in range(0, len(fences) - 1, 2))
    return inside <= MAX_HIGHLIGHTED_CHARS


MAX_NESTING_PER_LINE = 8
_CONTAINER_MARKER = re.compile(r" {0,3}(?:>|[*+-](?= )|\d{1,9}\.(?= ))")
_SPACES = re.compile(" *")
_HR_LINE = re.compile(blockprocessors.HRProcessor.RE)


class NestingCap(Preprocessor):
    """Read at most MAX_NESTING_PER_LINE quote and list markers at the start of a line as
    markers; later ones are escaped and show as text. Each level of nesting is parsed by
    recursion over the rest of the text: "+ " * 500 ran out of stack (an error page) after a
    second of work, and "> " * 25,000 took half a second. Runs after fenced code is set aside,
    and leaves rules ("- - - -") and indented code alone."""

    def run(self, lines: list[str]) -> list[str]:
        return [self._cap(line) if len(line) > MAX_NESTING_PER_LINE else line for line in lines]

    @staticmethod
    def _cap(line: str) -> str:
        at = 0
        for _ in range(MAX_NESTING_PER_LINE):
            marker = _CONTAINER_MARKER.match(line, at)
            if marker is None:
                return line
            at = _SPACES.match(line, marker.end()).end()
        marker = _CONTAINER_MARKER.match(line, at)
        if marker is None or _HR_LINE.match(line):
            return line
        where = marker.end() - 1  # the '>', '*', '+', '-' or the '.' after the digits
        return line[:where] + "\\" + line[where:]


_SEARCHED_BLOCKS = {"hashheader": "RE", "hr": "SEARCH_RE", "quote": "RE", "reference": "RE"}


def harden(md: markdown.Markdown) -> None:
    """Put the linear-time processors and NestingCap into `md` (which must load the tables
    extension: its processor is replaced)."""
    md.preprocessors.register(NestingCap(md), "nesting_cap", 19)
    harden_inline(md)
    blocks = md.parser.blockprocessors
    for name, attribute in _SEARCHED_BLOCKS.items():
        processor = blocks[name]
        setattr(processor, attribute, _TailSearch(getattr(type(processor), attribute)))
    blocks.register(_Tables(md.parser, blocks["table"].config), "table", 75)
    blocks.register(_Setext(md.parser), "setextheader", 60)
    blocks.register(_CodeBlock(md.parser), "code", 80)
