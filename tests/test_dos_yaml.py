"""Front matter YAML cannot be turned into a denial of service: anchors and aliases (the
"billion laughs" alias bomb) are refused before anything walks the value, and error messages
never build the repr of an unbounded value."""

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from questions.bankfile import BankFormatError, load_front_matter, parse, shown

BODY = "Prompt\n\n## Answer\nA\n\n## Rubric\n- r\n"


def bank_file(front: str) -> str:
    return f"---\n{front}\n---\n{BODY}"


def alias_bomb(levels: int) -> str:
    """About 40 bytes a level; each level multiplies the expanded size by 9. At 9 levels
    (under 400 bytes) it used to cost over 10 s and hundreds of MB when its repr was built."""
    nested = ['&a0 ["x","x","x","x","x","x","x","x","x"]']
    nested += [f"&a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return f"kind: [{', '.join(nested)}]"


FRONT = {
    "title": "title: t",
    "category": "category: ml-fundamentals",
    "kind": "kind: flashcard",
    "difficulty": "difficulty: easy",
    "rounds": "rounds: [coding]",
    "tags": "tags: []",
}


def front_with(**lines: str) -> str:
    return "\n".join({**FRONT, **lines}.values())


def test_alias_bomb_in_kind_is_refused_at_its_line_without_expanding():
    assert len(alias_bomb(9)) < 400
    text = bank_file(front_with(kind=alias_bomb(9)))
    started = time.perf_counter()
    with pytest.raises(BankFormatError) as caught:
        parse(text, "bomb.md")
    assert time.perf_counter() - started < 1.0  # expanding it took over 10 s
    assert caught.value.line == 4  # the kind: line (line 1 is '---')
    assert "anchors and aliases" in caught.value.reason


@pytest.mark.parametrize(
    "lines",
    [
        {"title": "title: &t Some title", "category": "category: *t"},  # plain anchor + alias
        {"tags": "tags: &x [a, b]", "rounds": "rounds: *x"},
        {"rounds": "rounds: [coding]\nbase: &b {x: 1}\nother:\n  <<: *b"},  # merge key
        {"title": "title: !!str &t x"},
    ],
)
def test_any_anchor_or_alias_is_refused(lines):
    with pytest.raises(BankFormatError, match="anchors and aliases"):
        parse(bank_file(front_with(**lines)), "q.md")


def test_load_front_matter_reads_what_safe_load_reads():
    assert load_front_matter("a: [1, x]\nb: {c: d}\n") == {"a": [1, "x"], "b": {"c": "d"}}
    assert load_front_matter("title: 'Tom & Jerry *and* friends'") == {
        "title": "Tom & Jerry *and* friends"
    }


def test_huge_numbers_in_messages_do_not_crash_the_parser():
    # repr() of an int past 4,300 digits raises ValueError; the parser must say what is wrong.
    with pytest.raises(BankFormatError, match="kind must be one of"):
        parse(bank_file(front_with(kind="kind: 0x" + "f" * 3900)), "q.md")
    with pytest.raises(BankFormatError, match="unknown front matter key"):
        parse(bank_file(front_with(title="title: t\n? 0x" + "f" * 3800 + "\n: 1")), "q.md")


def test_many_unknown_keys_make_a_short_message():
    extra = "\n".join(f"key{i}{'x' * 300}: 1" for i in range(10))
    with pytest.raises(BankFormatError) as caught:
        parse(bank_file(front_with(tags="tags: []\n" + extra)), "q.md")
    assert "and 5 more" in caught.value.reason
    assert len(caught.value.reason) < 400


def test_shown_is_bounded_for_huge_nested_values():
    layer = ["x" * 10_000] * 9
    for _ in range(9):  # 9**9 strings if walked in full
        layer = [layer] * 9
    started = time.perf_counter()
    text = shown(layer)
    assert time.perf_counter() - started < 0.5
    assert len(text) <= 40
    assert shown(10**5000) == "<a very large number>"
    assert shown("abc") == "'abc'"
    assert len(shown("y" * 1_000_000)) <= 40


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary(),
        lambda children: st.lists(children) | st.dictionaries(st.text(), children),
        max_leaves=50,
    )
)
def test_shown_is_short_for_any_yaml_like_value(value):
    assert len(shown(value)) <= 40
