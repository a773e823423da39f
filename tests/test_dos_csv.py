"""A CSV upload cannot tie up a worker: the delimiter sniffer sees a bounded sample, and rows
that could never be cards are refused early, each with its line."""

import csv
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from questions import importing
from questions.bankfile import MAX_TEXT_SECTION_CHARS
from tests.factories import seed_loop

pytestmark = pytest.mark.django_db

IMPORT = reverse("questions:my_import")


@pytest.fixture(autouse=True)
def loop(db):
    seed_loop()


def upload(client, name: str, data: bytes):
    file = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(
        IMPORT,
        {"file": file, "visibility": "private", "category": "nlp", "rounds": ["ml-depth"]},
    )


def reasons(response) -> list[str]:
    return [str(e) for e in response.context["plan"].errors]


@pytest.fixture
def sniffed(monkeypatch) -> list[int]:
    """The length of every sample given to csv.Sniffer."""
    lengths: list[int] = []
    real = csv.Sniffer.sniff

    def spy(self, sample, delimiters=None):
        lengths.append(len(sample))
        return real(self, sample, delimiters)

    monkeypatch.setattr(csv.Sniffer, "sniff", spy)
    return lengths


@pytest.mark.parametrize(
    "data",
    [
        ',"' * 60_000,  # one 120 KB line: 40 KB of it took 13.5 s to sniff
        (',"' * 3_000 + "\n") * 20,  # twenty long lines
        (', "' * 2_000 + "\n") * 20,
    ],
    ids=["one-line", "long-lines", "spaced-quotes"],
)
def test_the_sniffer_sees_a_bounded_sample(alice_client, sniffed, data):
    started = time.perf_counter()
    response = upload(alice_client, "deck.csv", data.encode())
    elapsed = time.perf_counter() - started
    assert response.status_code in (200, 400)
    assert sniffed and max(sniffed) <= importing.SNIFF_SAMPLE_CHARS
    assert elapsed < 3  # was 13.5 s for a third of the first input


def test_the_sample_is_whole_lines():
    lines = [f"front {i};back {i}\n" for i in range(20)]
    assert len(lines[0]) == 15
    assert importing._sniff_sample(lines, limit=59) == "".join(lines[:3])
    # A line too long to fit is left out; with nothing else, the sample is cut.
    assert importing._sniff_sample(["y" * 100 + "\n", *lines], 40) == "".join(lines[:2])
    assert importing._sniff_sample(["x" * 100 + "\n"], limit=60) == "x" * 60


def test_delimiters_are_still_recognised_after_a_long_first_line(alice_client, sniffed):
    data = "Long front " + "word " * 1_000 + ";back\nshort;card\n"
    response = upload(alice_client, "deck.csv", data.encode())
    plan = response.context["plan"]
    assert not plan.errors
    assert [i.question.answer for i in plan.items] == ["back", "card"]


def test_a_card_side_past_the_limit_is_refused_with_its_line(alice_client):
    long = "x" * (MAX_TEXT_SECTION_CHARS + 1)
    data = f"ok,card\nfine,{long}\n{long},fine\n"
    response = upload(alice_client, "deck.csv", data.encode())
    assert reasons(response) == [
        f"deck.csv:2: the back of this card is {MAX_TEXT_SECTION_CHARS + 1:,} characters; "
        f"at most {MAX_TEXT_SECTION_CHARS:,}",
        f"deck.csv:3: the front of this card is {MAX_TEXT_SECTION_CHARS + 1:,} characters; "
        f"at most {MAX_TEXT_SECTION_CHARS:,}",
    ]


def test_a_quote_left_open_says_which_line_and_why(alice_client):
    data = 'ok,card\nbroken,"' + "never closed " * 20_000 + "\n"
    response = upload(alice_client, "deck.csv", data.encode())
    (reason,) = reasons(response)
    assert reason.startswith("deck.csv:")
    assert 'a quote (") left open?' in reason


def test_malformed_anki_html_is_a_card_error_not_a_crash(alice_client):
    data = "#separator:tab\n#html:true\nfront\t" + "<a" * 5_000 + "\ngood\tcard\n"
    response = upload(alice_client, "anki.txt", data.encode())
    assert response.status_code == 400
    assert reasons(response) == ["anki.txt:3: this card's HTML is malformed (unclosed '<' tags)"]
