"""Markdown to safe HTML, for every question field, hint, rubric point, choice and note.

Run once when content is saved (stored in `*_html` fields), never per request. Raw HTML in
the Markdown is escaped rather than passed through; nh3 then enforces an allow-list on the
result as a second line of defence: no scripts, no event handlers, no `hx-*` attributes, links
only to http, https and mailto. Code blocks are highlighted by Pygments with an explicitly
named lexer (no guessing, which is slow and can be steered by hostile input).

Hostile input must not be slow either: Python-Markdown's stock processors rescan the rest of
a text (or of a block) for every candidate, so `[` * 6,000 took 16 s. The processors below
give the same output from indexes built once per text (see `_TailIndex`), bound the scan of
a link's `(destination "title")`, and stop highlighting code when a text holds more than any
question needs. tests/test_dos_markdown.py renders every pathological family we know of at
the largest size a user may submit and bounds the time.
"""

import bisect
import re
import xml.etree.ElementTree as etree
from collections import deque
from collections.abc import Callable
from html import escape

import markdown
import nh3
from markdown import blockprocessors, inlinepatterns, treeprocessors, util
from markdown.extensions.codehilite import CodeHiliteExtension
from markdown.extensions.tables import TableProcessor
from markdown.preprocessors import Preprocessor

MAX_MARKDOWN_CHARS = 50_000

ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "code": {"class"},
    "div": {"class"},
    "pre": {"class"},
    "span": {"class"},
    "ol": {"start"},
    "td": {"align"},
    "th": {"align"},
}
SAFE_URL_PREFIXES = ("http://", "https://", "mailto:")
# Pygments' short token classes (k, nf, s2, ...) and the wrapper; nothing that could borrow
# the app's own classes (buttons, alerts) to spoof its interface.
SAFE_CLASS_RE = re.compile(r"^(?:codehilite|[a-z]{1,3}[0-9]?|language-[a-z0-9+-]{1,20})$")
_CONTROL_AND_SPACE = re.compile(r"[\x00-\x20\x7f]+")


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    if name == "href":
        normalised = _CONTROL_AND_SPACE.sub("", value).lower()
        return value if normalised.startswith(SAFE_URL_PREFIXES) else None
    if name == "class":
        kept = [c for c in value.split() if SAFE_CLASS_RE.match(c)]
        return " ".join(kept) or None
    return value


_LIST_ITEM = re.compile(r"^ {0,3}(?:[-*+]|\d{1,9}[.)]) +\S")


class ListAfterParagraph(Preprocessor):
    """Start a list even when no blank line separates it from the paragraph above.

    Python-Markdown otherwise folds such a list into the paragraph, unlike CommonMark and
    what authors expect. Runs after fenced code is stashed, so code is never touched.
    """

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        for line in lines:
            previous = out[-1] if out else ""
            if (
                _LIST_ITEM.match(line)
                and previous.strip()
                and not _LIST_ITEM.match(previous)
                and not previous.startswith((" ", "\t"))
            ):
                out.append("")
            out.append(line)
        return out


# --- Linear-time replacements for Python-Markdown's quadratic scans ----------------------------
#
# Each class below keeps the stock processor's result and changes only how it is found: the
# built-in bank renders byte for byte as with stock Python-Markdown, and so does random
# Markdown (tests/test_dos_markdown.py). The deliberate differences are for input no question
# needs: a link's "(destination 'title')" is read at most MAX_LINK_CHARS characters or
# MAX_LINK_EVENTS brackets and quotes far, and a link inside more than MAX_INLINE_DEPTH
# elements stays text; a run of more than MAX_DELIMITER_RUN '*' and '_' is text; at most
# MAX_NESTING_PER_LINE quote and list markers nest on one line (NestingCap); code is not
# highlighted past MAX_HIGHLIGHTED_BLOCKS blocks or MAX_HIGHLIGHTED_CHARS characters of code
# in one text; and a RecursionError shows the text escaped instead of an error page.

MAX_LINK_CHARS = 2_000
MAX_LINK_EVENTS = 32
MAX_HIGHLIGHTED_BLOCKS = 100
MAX_HIGHLIGHTED_CHARS = 20_000
MAX_INLINE_DEPTH = 32  # elements a link may sit in (each level's text is parsed again)
MAX_DELIMITER_RUN = 16  # a longer run of * and _ is text (each one may nest an element)


class _TailIndex:
    """An index of a string, kept for later strings that share its tail.

    An inline processor scans forward from each candidate; after a match, Python-Markdown
    replaces the matched part with a placeholder and goes on after it, so the rest of the
    string is unchanged. An index keyed by distance from the END of the string therefore stays
    right for that rest, and is built once per text rather than once per candidate.
    """

    def __init__(self, build: Callable[[str], object]):
        self._build = build
        self._string: str | None = None
        self._valid = 0  # entries at most this far from the end hold for self._string
        self.index: object = None

    def get(self, data: str, pos: int):
        tail = len(data) - pos
        if data is self._string and tail <= self._valid:
            return self.index
        old = self._string
        if old is not None and tail <= self._valid and data.endswith(old[len(old) - tail :]):
            self._string, self._valid = data, tail
            return self.index
        self.index = self._build(data)
        self._string, self._valid = data, len(data)
        return self.index


_BRACKET = re.compile(r"[\[\]]")


def _bracket_pairs(data: str) -> dict[int, int]:
    """Each closed '[' -> its ']', both as distances from the end of `data`."""
    size, pairs, open_ = len(data), {}, []
    for match in _BRACKET.finditer(data):
        at = match.start()
        if data[at] == "[":
            open_.append(size - at)
        elif open_:
            pairs[open_.pop()] = size - at
    return pairs


_LINK_EVENT = re.compile(r"""[()'"]""")


class _LinkScans:
    """`getText` from an index of bracket pairs (the stock one counts brackets from every '[',
    to the end of the text when it is not closed), and `getLink` that steps from one bracket
    or quote to the next instead of from character to character, and not forever."""

    md: markdown.Markdown

    def getText(self, data: str, index: int) -> tuple[str, int, bool]:
        if len(self.md.treeprocessors["inline"].ancestors) > MAX_INLINE_DEPTH:
            return "", len(data), False  # a link this deep stays text
        if index < 1 or data[index - 1] != "[":
            return super().getText(data, index)  # type: ignore[misc]
        pairs = self.md.prep_brackets.get(data, index - 1)
        close = pairs.get(len(data) - index + 1)
        if close is None:
            return "", len(data), False  # callers ignore the text when not handled
        end = len(data) - close
        return data[index:end], end + 1, True

    def getLink(self, data: str, index: int) -> tuple[str, str | None, int, bool]:
        start = self.RE_LINK.match(data, pos=index)  # type: ignore[attr-defined]
        if not start or start.group(1):
            return super().getLink(data, index)  # type: ignore[misc]  # no scan there
        # The stock loop, event by event: '(' and ')' nest (except inside a title), quotes
        # open and close a title, and `last` is the last character before this one that is
        # not a space. Reaching either bound counts as reaching the end of the text.
        begin = start.end()
        depth, backtrack, last_bracket = 1, 1, -1
        quote, start_quote, exit_quote, in_title = None, -1, -1, False
        alt_quote, start_alt_quote, exit_alt_quote = None, -1, -1
        href, title, last, previous = "", None, "", begin
        end = len(data)
        stop = min(end, begin + MAX_LINK_CHARS)
        for count, event in enumerate(_LINK_EVENT.finditer(data, begin, stop), start=1):
            if count > MAX_LINK_EVENTS:
                break
            at = event.start()
            before = data[previous:at].rstrip(" ")
            if before:
                last = before[-1]
            char = data[at]
            if char == "(":
                if not in_title:
                    depth += 1
                elif backtrack > 0:
                    backtrack -= 1
            elif char == ")":
                if (exit_quote != -1 and quote == last) or (
                    exit_alt_quote != -1 and alt_quote == last
                ):
                    depth = 0
                elif not in_title:
                    depth -= 1
                elif backtrack > 0:
                    backtrack -= 1
                    if backtrack == 0:
                        last_bracket = at + 1
            elif not quote:
                in_title, backtrack, depth = True, depth, 1
                start_quote, quote = at + 1, char
            elif char != quote and not alt_quote:
                start_alt_quote, alt_quote = at + 1, char
            elif char == quote:
                exit_quote = at + 1
            elif alt_quote and char == alt_quote:
                exit_alt_quote = at + 1
            if depth == 0:
                end = at + 1
                if exit_quote >= 0 and quote == last:
                    href, title = data[begin : start_quote - 1], data[start_quote : exit_quote - 1]
                elif exit_alt_quote >= 0 and alt_quote == last:
                    href = data[begin : start_alt_quote - 1]
                    title = data[start_alt_quote : exit_alt_quote - 1]
                else:
                    href = data[begin:at]
                break
            last, previous = char, at + 1
        if depth != 0 and backtrack == 0:
            href, end, depth = data[begin : last_bracket - 1], last_bracket, 0
        if title is not None:
            title = self.RE_TITLE_CLEAN.sub(  # type: ignore[attr-defined]
                " ",
                inlinepatterns.dequote(self.unescape(title.strip())),  # type: ignore[attr-defined]
            )
        return self.unescape(href).strip(), title, end, depth == 0  # type: ignore[attr-defined]


def _link_processor(base: type) -> type:
    return type(f"Bounded{base.__name__}", (_LinkScans, base), {})


_LINK_PROCESSORS = {
    name: _link_processor(base)
    for name, base in (
        ("reference", inlinepatterns.ReferenceInlineProcessor),
        ("link", inlinepatterns.LinkInlineProcessor),
        ("image_link", inlinepatterns.ImageInlineProcessor),
        ("image_reference", inlinepatterns.ImageReferenceInlineProcessor),
        ("short_reference", inlinepatterns.ShortReferenceInlineProcessor),
        ("short_image_ref", inlinepatterns.ShortImageReferenceInlineProcessor),
    )
}


class _LongDelimiterRun(inlinepatterns.InlineProcessor):
    """A run of more than MAX_DELIMITER_RUN '*' and '_' is text, never emphasis: "*_" * 12,500
    around a word nested 25,000 elements, each parsed again (nearly a second)."""

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[str, int, int]:
        return m.group(0), m.start(0), m.end(0)


_TICKS = re.compile(r"`+")


def _backtick_runs(data: str):
    """Runs of backticks, last first, as (distances from the end, {length: distances}, and for
    each run the longest run from it to the end with the distance of that run's first one)."""
    size = len(data)
    runs = [(size - m.start(), m.end() - m.start()) for m in _TICKS.finditer(data)][::-1]
    by_length: dict[int, list[int]] = {}
    longest, best = [], (0, 0)
    for distance, length in runs:
        by_length.setdefault(length, []).append(distance)
        if length >= best[0]:
            best = (length, distance)
        longest.append(best)
    return [d for d, _ in runs], by_length, longest


class _Backticks(inlinepatterns.BacktickInlineProcessor):
    """The stock code spans, found from an index of backtick runs: the stock search walks to
    the end of the text for every opening run that has no closing run of its length."""

    def __init__(self, pattern: str):
        super().__init__(pattern)
        self._runs = _TailIndex(_backtick_runs)

    def find_code_spans(self, start: int, text: str) -> tuple[int, int | None]:
        ticks = _TICKS.match(text, start)
        if ticks is None:  # not at a backtick: as the stock scan, no span
            return start, None
        opening = ticks.end() - start
        start = ticks.end()
        distances, by_length, longest = self._runs.get(text, start)
        reach = len(text) - start  # runs at or after `start` are at most this far from the end
        later = bisect.bisect_right(distances, reach)
        if later == 0:
            return start + opening, None
        same = by_length.get(opening, ())
        exact = bisect.bisect_right(same, reach) - 1
        if exact >= 0:
            return start, len(text) - same[exact]
        length, distance = longest[later - 1]
        if 0 < length < opening:
            return start - (opening - length), len(text) - distance
        return start + opening, None


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


class _Inline(treeprocessors.InlineProcessor):
    """The stock inline tree walk, with two quadratic steps made linear: it looked up each
    child's position with `list(parent).index(child)` (once per child: an element with 5,000
    children took 25 million steps), and took the next element off the front of a list."""

    def run(self, tree: etree.Element, ancestors: list[str] | None = None) -> etree.Element:
        self.stashed_nodes = {}
        tree_parents = [] if ancestors is None else ancestors[:]
        self.parent_map = {child: parent for parent in tree.iter() for child in parent}
        stack = deque([(tree, tree_parents)])
        self._InlineProcessor__build_ancestors(tree, tree_parents)
        while stack:
            element, parents = stack.popleft()
            self.ancestors = parents
            if element is not tree:
                self.ancestors.append(element.tag.lower())
            queue = []
            # Iterating an Element goes by position, and new children are only ever inserted
            # after the current one: the loop's count is the child's position.
            for position, child in enumerate(element):
                if child.text and not isinstance(child.text, util.AtomicString):
                    self.ancestors.append(child.tag.lower())
                    text, child.text = child.text, None
                    found = self._InlineProcessor__processPlaceholders(
                        self._InlineProcessor__handleInline(text), child
                    )
                    for item in found:
                        self.parent_map[item[0]] = child
                    stack.extend(found)
                    queue.append((child, found))
                    self.ancestors.pop()
                if child.tail:
                    tail = self._InlineProcessor__handleInline(child.tail)
                    dummy = etree.Element("d")
                    child.tail = None
                    found = self._InlineProcessor__processPlaceholders(tail, dummy, False)
                    if dummy.tail:
                        child.tail = dummy.tail
                    for item in reversed(found):
                        self.parent_map[item[0]] = element
                        element.insert(position + 1, item[0])
                if len(child):
                    self.parent_map[child] = element
                    stack.append((child, self.ancestors[:]))
            for child, found in queue:
                for index, item in enumerate(found):
                    child.insert(index, item[0])
        return tree

    def _InlineProcessor__processPlaceholders(
        self, data: str | None, parent: etree.Element, isText: bool = True
    ) -> list[tuple[etree.Element, list[str]]]:
        result: list[tuple[etree.Element, list[str]]] = []

        def link_text(text: str | None) -> None:
            if not text:
                return
            if result:
                last = result[-1][0]
                last.tail = last.tail + text if last.tail else text
            elif not isText:
                parent.tail = parent.tail + text if parent.tail else text
            else:
                parent.text = parent.text + text if parent.text else text

        prefix = util.INLINE_PLACEHOLDER_PREFIX
        start = 0
        while data:
            index = data.find(prefix, start)
            if index == -1:
                text = data[start:]
                if isinstance(data, util.AtomicString):
                    text = util.AtomicString(text)
                link_text(text)
                break
            id, end = self._InlineProcessor__findPlaceholder(data, index)
            if id not in self.stashed_nodes:  # not one of ours: text
                end = index + len(prefix)
                link_text(data[start:end])
                start = end
                continue
            node = self.stashed_nodes[id]
            if index > 0:
                link_text(data[start:index])
            start = end
            if isinstance(node, str):
                link_text(node)
                continue
            # The node's own tail and text, then each child's, as the stock method does. New
            # elements go in at the front or after the child whose tail made them, so the
            # child's position is counted rather than searched for.
            inserted = 0
            for original, child in enumerate([node, *node]):
                if child.tail and child.tail.strip():
                    at = 0 if child is node else original + inserted
                    inserted += self._element_text(node, child, False, at)
                if child.text and child.text.strip():
                    count = self._element_text(child, child, True, 0)
                    inserted += count if child is node else 0
            result.append((node, self.ancestors[:]))
        return result

    def _element_text(self, node: etree.Element, subnode: etree.Element, is_text: bool, at: int):
        """The stock `__processElementText`, told where to insert; returns how many it did."""
        if is_text:
            text, subnode.text = subnode.text, None
        else:
            text, subnode.tail = subnode.tail, None
        found = self._InlineProcessor__processPlaceholders(text, subnode, is_text)
        for item in reversed(found):
            node.insert(at, item[0])
        return len(found)


_FENCE_LINE = re.compile(r"^(?:`{3,}|~{3,})", re.M)
# A line followed by an indented one (which may start an indented code block).
_BEFORE_INDENTED = re.compile(r"^(?! {4}|\t).*\n(?= {4}|\t)", re.M)


def _highlight(text: str) -> bool:
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


# Stock priorities (markdown.inlinepatterns.build_inlinepatterns): the order is unchanged.
_INLINE_PRIORITIES = {
    "reference": (inlinepatterns.REFERENCE_RE, 170),
    "link": (inlinepatterns.LINK_RE, 160),
    "image_link": (inlinepatterns.IMAGE_LINK_RE, 150),
    "image_reference": (inlinepatterns.IMAGE_REFERENCE_RE, 140),
    "short_reference": (inlinepatterns.REFERENCE_RE, 130),
    "short_image_ref": (inlinepatterns.IMAGE_REFERENCE_RE, 125),
}
_SEARCHED_BLOCKS = {"hashheader": "RE", "hr": "SEARCH_RE", "quote": "RE", "reference": "RE"}


def _markdown(highlight: bool = True) -> markdown.Markdown:
    extensions: list = ["fenced_code", "tables", "sane_lists"]
    if highlight:
        extensions.append(
            CodeHiliteExtension(guess_lang=False, css_class="codehilite", wrapcode=True)
        )
    md = markdown.Markdown(extensions=extensions, output_format="html")
    # Escape raw HTML instead of passing it through: "<b>" in a question shows as text.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    md.preprocessors.register(ListAfterParagraph(md), "list_after_paragraph", 20)
    md.preprocessors.register(NestingCap(md), "nesting_cap", 19)
    # The same output in linear time (see above).
    md.prep_brackets = _TailIndex(_bracket_pairs)
    for name, (pattern, priority) in _INLINE_PRIORITIES.items():
        md.inlinePatterns.register(_LINK_PROCESSORS[name](pattern, md), name, priority)
    md.inlinePatterns.register(_Backticks(inlinepatterns.BACKTICK_RE), "backtick", 190)
    md.inlinePatterns.register(
        _LongDelimiterRun(rf"[*_]{{{MAX_DELIMITER_RUN + 1},}}"), "long_delimiter_run", 65
    )
    blocks = md.parser.blockprocessors
    for name, attribute in _SEARCHED_BLOCKS.items():
        processor = blocks[name]
        setattr(processor, attribute, _TailSearch(getattr(type(processor), attribute)))
    blocks.register(_Tables(md.parser, blocks["table"].config), "table", 75)
    blocks.register(_Setext(md.parser), "setextheader", 60)
    blocks.register(_CodeBlock(md.parser), "code", 80)
    md.treeprocessors.register(_Inline(md), "inline", 20)
    return md


def render_code(code: str, language: str) -> str:
    """Highlight a whole code snippet (starter, solution) through the same pipeline."""
    if not code.strip():
        return ""
    if len(code) > MAX_MARKDOWN_CHARS:
        raise ValueError(f"Code longer than {MAX_MARKDOWN_CHARS} characters")
    fence = "````" if "```" in code else "```"
    return _render(f"{fence}{language or 'text'}\n{code.rstrip()}\n{fence}")


def render_markdown(text: str) -> str:
    if len(text) > MAX_MARKDOWN_CHARS:
        raise ValueError(f"Markdown longer than {MAX_MARKDOWN_CHARS} characters")
    return _render(text)


def _render(text: str) -> str:
    try:
        html = _markdown(_highlight(text)).convert(text)
    except RecursionError:
        # Nested deeper than the stack allows (NestingCap stops the ways we know of): show
        # the text as written rather than an error page.
        html = "".join(f"<p>{escape(part)}</p>" for part in text.split("\n\n") if part.strip())
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
