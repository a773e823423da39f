"""The inline half of the linear-time processors; `linear` says why they exist and lists
every bound. Links and code spans are found from indexes built once per text (`_TailIndex`)
rather than by a scan to the end of the text for each candidate, and the tree walk that feeds
them no longer searches lists."""

import bisect
import re
import xml.etree.ElementTree as etree
from collections import deque
from collections.abc import Callable

import markdown
from markdown import inlinepatterns, treeprocessors, util

MAX_LINK_CHARS = 2_000
MAX_LINK_EVENTS = 32
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


# Stock priorities (markdown.inlinepatterns.build_inlinepatterns): the order is unchanged.
_INLINE_PRIORITIES = {
    "reference": (inlinepatterns.REFERENCE_RE, 170),
    "link": (inlinepatterns.LINK_RE, 160),
    "image_link": (inlinepatterns.IMAGE_LINK_RE, 150),
    "image_reference": (inlinepatterns.IMAGE_REFERENCE_RE, 140),
    "short_reference": (inlinepatterns.REFERENCE_RE, 130),
    "short_image_ref": (inlinepatterns.IMAGE_REFERENCE_RE, 125),
}


def harden_inline(md: markdown.Markdown) -> None:
    md.prep_brackets = _TailIndex(_bracket_pairs)
    for name, (pattern, priority) in _INLINE_PRIORITIES.items():
        md.inlinePatterns.register(_LINK_PROCESSORS[name](pattern, md), name, priority)
    md.inlinePatterns.register(_Backticks(inlinepatterns.BACKTICK_RE), "backtick", 190)
    md.inlinePatterns.register(
        _LongDelimiterRun(rf"[*_]{{{MAX_DELIMITER_RUN + 1},}}"), "long_delimiter_run", 65
    )
    md.treeprocessors.register(_Inline(md), "inline", 20)
