"""The bank list (filters, search, htmx partial, pagination) and the question page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from questions.models import Profile, Question
from tests.factories import make_question, seed_loop

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def loop(db):
    seed_loop()


def titles(response):
    return [q.title for q in response.context["page"].object_list]


def test_list_shows_questions_and_filters_by_category_round_kind_difficulty_tag(alice_client):
    make_question(
        title="Bias and variance", category="ml-fundamentals", difficulty="easy", tags=["bias"]
    )
    make_question(
        title="Two tower retrieval",
        category="recsys",
        rounds=["ml-depth"],
        kind="design",
        tags=["retrieval"],
    )
    url = reverse("questions:list")
    assert set(titles(alice_client.get(url))) == {"Bias and variance", "Two tower retrieval"}
    assert titles(alice_client.get(url, {"category": "recsys"})) == ["Two tower retrieval"]
    assert titles(alice_client.get(url, {"round": "technical-screen"})) == ["Bias and variance"]
    assert titles(alice_client.get(url, {"kind": "design"})) == ["Two tower retrieval"]
    assert titles(alice_client.get(url, {"difficulty": "easy"})) == ["Bias and variance"]
    assert titles(alice_client.get(url, {"tag": "retrieval"})) == ["Two tower retrieval"]


def test_search_matches_title_prompt_and_answer_all_words(alice_client):
    make_question(
        title="Dropout at test time",
        prompt="Why scale activations?",
        answer="Inverted dropout keeps expectations.",
    )
    make_question(title="Batch norm", prompt="Train versus eval", answer="Running statistics.")
    url = reverse("questions:list")
    assert titles(alice_client.get(url, {"q": "dropout"})) == ["Dropout at test time"]
    assert titles(alice_client.get(url, {"q": "RUNNING statistics"})) == ["Batch norm"]
    assert titles(alice_client.get(url, {"q": "activations expectations"})) == [
        "Dropout at test time"
    ]
    assert titles(alice_client.get(url, {"q": "dropout running"})) == []


def test_invalid_filter_is_explained_and_ignored(alice_client):
    make_question(title="Kept")
    response = alice_client.get(reverse("questions:list"), {"category": "astrology"})
    assert response.status_code == 200
    assert titles(response) == ["Kept"]
    assert "not understood" in response.content.decode()


def test_htmx_request_gets_only_the_results_fragment(alice_client):
    make_question(title="Fragment question")
    response = alice_client.get(
        reverse("questions:list"), {"q": "fragment"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert "<mark>Fragment</mark> question" in html
    assert "<html" not in html


def test_pagination_keeps_filters(alice_client):
    for i in range(30):
        make_question(title=f"Paged {i:02d}", tags=["paged"])
    response = alice_client.get(reverse("questions:list"), {"tag": "paged"})
    assert len(titles(response)) == 25
    assert "tag=paged&amp;page=2" in response.content.decode()
    assert (
        len(titles(alice_client.get(reverse("questions:list"), {"tag": "paged", "page": 2}))) == 5
    )


def test_question_page_shows_prompt_hidden_answer_and_hints_one_by_one(alice_client):
    make_question(slug="hinted", prompt="```python\nx = 1\n```", hints=["Alpha hint", "Beta hint"])
    url = reverse("questions:detail", args=["hinted"])
    html = alice_client.get(url).content.decode()
    assert 'class="codehilite"' in html
    assert "<details" in html and "Show the model answer" in html
    assert "Alpha hint" not in html and "Show hint 1 of 2" in html
    html = alice_client.get(url, {"hints": 1}).content.decode()
    assert "Alpha hint" in html and "Beta hint" not in html and "Show hint 2 of 2" in html
    fragment = alice_client.get(url, {"hints": 2}, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<section id="hints"')
    assert "Beta hint" in fragment and "No more hints" in fragment


def test_choice_question_can_be_checked_without_changing_anything(alice_client):
    make_question(slug="pick", kind="choice", choices=[("Right one", True), ("Wrong one", False)])
    url = reverse("questions:detail", args=["pick"])
    assert "Right: you picked exactly" in alice_client.get(url, {"pick": 0}).content.decode()
    assert "Not quite" in alice_client.get(url, {"pick": [0, 1]}).content.decode()


def test_private_question_is_404_for_others_and_hidden_from_their_list(client, alice, charlie):
    make_question(slug="alice-private", title="Alice private", owner=alice)
    make_question(slug="alice-shared", title="Alice shared", owner=alice, visibility="shared")
    client.force_login(charlie)
    assert client.get(reverse("questions:detail", args=["alice-private"])).status_code == 404
    assert client.get(reverse("questions:detail", args=["alice-shared"])).status_code == 200
    assert set(titles(client.get(reverse("questions:list")))) == {"Alice shared"}
    client.force_login(alice)
    assert client.get(reverse("questions:detail", args=["alice-private"])).status_code == 200


def test_hide_difficulty_preference(alice_client, alice):
    make_question(slug="diff", difficulty="hard")
    assert (
        "badge-hard"
        in alice_client.get(reverse("questions:detail", args=["diff"])).content.decode()
    )
    response = alice_client.post(
        reverse("questions:settings"),
        {
            "hide_difficulty": "on",
            "desired_retention": "0.9",
            "new_per_day": "10",
            "minutes_per_day": "30",
        },
    )
    assert response.status_code == 302
    assert Profile.objects.get(user=alice).hide_difficulty
    assert (
        "badge-hard"
        not in alice_client.get(reverse("questions:detail", args=["diff"])).content.decode()
    )
    listing = alice_client.get(reverse("questions:list"))
    assert "badge-hard" not in listing.content.decode()
    assert "difficulty" not in listing.context["form"].fields


def test_reading_pages_never_writes(alice_client, alice):
    make_question(slug="r")
    with CaptureQueriesContext(connection) as queries:
        alice_client.get(reverse("questions:list"))
        alice_client.get(reverse("questions:detail", args=["r"]))
        alice_client.get(reverse("questions:settings"))
    writes = [
        q["sql"] for q in queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
    ]
    assert writes == [] or all("django_session" in w for w in writes)
    assert not Profile.objects.filter(user=alice).exists()


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("view", ["list", "detail"])
def test_query_count_does_not_grow_with_bank_size(alice_client, view):
    for i in range(10):
        make_question(slug=f"qc-{i}", tags=["a", "b"])
    url = (
        reverse("questions:list") if view == "list" else reverse("questions:detail", args=["qc-3"])
    )
    small = _count_queries(alice_client, url)
    for i in range(10, 500):
        make_question(
            slug=f"qc-{i}", tags=["a", "b"], kind="choice", choices=[("a", True), ("b", False)]
        )
    assert _count_queries(alice_client, url) == small
    assert small <= 12
    assert Question.objects.count() == 500
