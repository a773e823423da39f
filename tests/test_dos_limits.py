"""How much Markdown a user may submit: each text part at most 20,000 characters (code 50,000),
an import at most 500,000 characters in all; every refusal says which part and why."""

import textwrap
from dataclasses import replace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from questions import importing
from questions.bankfile import (
    MAX_SECTION_CHARS,
    MAX_TEXT_SECTION_CHARS,
    BankFormatError,
    ParsedQuestion,
    dump,
    parse,
)
from questions.forms_authoring import QuestionForm
from tests.factories import seed_loop

CODING = textwrap.dedent(
    """\
    ---
    title: Long code
    category: coding
    kind: coding
    difficulty: easy
    rounds: [coding]
    tags: []
    ---
    Write f.

    ## Starter
    ```python
    {code}
    ```

    ## Solution
    ```python
    {code}
    ```

    ## Tests
    ```python
    def test_f():
        assert True
    ```

    ## Answer
    A.

    ## Rubric
    - r
    """
)


def card(prompt: str) -> ParsedQuestion:
    return ParsedQuestion(
        slug="long",
        title="Long",
        category="nlp",
        kind="flashcard",
        difficulty="easy",
        rounds=["ml-depth"],
        tags=[],
        prompt=prompt,
        answer="A.",
        rubric=["r"],
    )


def test_a_text_part_past_20000_characters_is_refused_with_its_line():
    assert parse(dump(card("x" * MAX_TEXT_SECTION_CHARS)), "long.md").prompt
    with pytest.raises(BankFormatError) as caught:
        parse(dump(card("x" * (MAX_TEXT_SECTION_CHARS + 1))), "long.md")
    assert caught.value.reason == f"section is longer than {MAX_TEXT_SECTION_CHARS:,} characters"
    assert caught.value.line == 9  # the prompt's first line
    with pytest.raises(BankFormatError, match="20,000"):
        parse(dump(replace(card("Q"), answer="y" * 20_001)), "long.md")


def test_code_may_still_be_50000_characters():
    code = ("x = 1\n" * (MAX_SECTION_CHARS // 6 - 10)).rstrip()
    assert MAX_TEXT_SECTION_CHARS < len(code) <= MAX_SECTION_CHARS
    assert parse(CODING.format(code=code), "long-code.md").solution.startswith("x = 1")


@pytest.mark.django_db
def test_the_form_refuses_a_text_part_past_the_limit():
    seed_loop()
    form = QuestionForm(
        {
            "title": "Long",
            "category": "nlp",
            "kind": "flashcard",
            "difficulty": "easy",
            "rounds": ["ml-depth"],
            "visibility": "private",
            "prompt": "x" * (MAX_TEXT_SECTION_CHARS + 1),
            "answer": "A.",
            "rubric": "r",
        }
    )
    assert not form.is_valid()
    assert "at most 20000 characters" in form.errors["prompt"][0]


@pytest.mark.django_db
def test_an_upload_with_more_text_than_an_import_renders_at_once_is_refused(alice_client, alice):
    seed_loop()
    rows = "".join(f"front {i},{'b' * 1_100}\n" for i in range(480))  # 528,000+ characters
    response = alice_client.post(
        reverse("questions:my_import"),
        {
            "file": SimpleUploadedFile("deck.csv", rows.encode()),
            "visibility": "private",
            "category": "nlp",
            "rounds": ["ml-depth"],
        },
    )
    (error,) = response.context["plan"].errors
    assert "at most 500,000 at a time. Split the file." in error.reason
    assert not response.context["plan"].items
    # An administrator's command has no such limit.
    plan = importing.read_upload(
        "deck.csv",
        rows.encode(),
        user=alice,
        category=importing.Category.objects.get(slug="nlp"),
        rounds=list(importing.Round.objects.filter(slug="ml-depth")),
        limits=importing.Limits(),
    )
    assert not plan.errors and len(plan.items) == 480
