"""The end of a practice session: the counts in words, when each question comes back, and what
happens at the daily new-question limit."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from questions import scheduling
from questions.models import Profile, Review
from questions.views.practice import counts_in_words
from tests.factories import make_question, seed_loop

SESSION = reverse("questions:practice_session")
RATE = reverse("questions:practice_rate")
MORE_NEW = reverse("questions:practice_more_new")


@pytest.fixture(autouse=True)
def loop(db):
    seed_loop()


# Again, Hard, Good, Easy -> the sentence; every non-empty combination of zero and non-zero.
WORDS = [
    ((1, 0, 0, 0), "1 Again"),
    ((0, 1, 0, 0), "1 Hard"),
    ((0, 0, 2, 0), "2 Good"),
    ((0, 0, 0, 3), "3 Easy"),
    ((1, 2, 0, 0), "1 Again and 2 Hard"),
    ((1, 0, 2, 0), "1 Again and 2 Good"),
    ((1, 0, 0, 2), "1 Again and 2 Easy"),
    ((0, 1, 2, 0), "1 Hard and 2 Good"),
    ((0, 1, 0, 2), "1 Hard and 2 Easy"),
    ((0, 0, 2, 1), "2 Good and 1 Easy"),
    ((1, 2, 3, 0), "1 Again, 2 Hard and 3 Good"),
    ((1, 2, 0, 3), "1 Again, 2 Hard and 3 Easy"),
    ((1, 0, 2, 3), "1 Again, 2 Good and 3 Easy"),
    ((0, 1, 2, 3), "1 Hard, 2 Good and 3 Easy"),
    ((4, 3, 2, 1), "4 Again, 3 Hard, 2 Good and 1 Easy"),
]


@pytest.mark.parametrize(("counts", "expected"), WORDS)
def test_counts_in_words_lists_only_the_ratings_given(counts, expected):
    by_rating = dict(zip(["Again", "Hard", "Good", "Easy"], counts, strict=True))
    assert counts_in_words(by_rating) == expected


def _rate(client, slug, rating):
    context = client.get(SESSION, {"scope": "all", "started": 0}).context
    assert context["question"].slug == slug
    client.post(
        RATE,
        {
            "question": slug,
            "scope": "all",
            "seq": context["seq"],
            "started": 0,
            "shown_at": context["shown_at"],
            "rating": rating,
        },
    )


def test_summary_sentence_has_no_stray_separator(alice_client):
    make_question(slug="a", difficulty="easy")
    make_question(slug="b", difficulty="hard")
    _rate(alice_client, "a", 2)  # Hard, then Easy: Hard is followed by a zero (Good)
    _rate(alice_client, "b", 4)
    html = alice_client.get(SESSION, {"scope": "all", "started": 0}).content.decode()
    assert "1 Hard and 1 Easy." in html
    assert ", ." not in html and "Hard, ." not in html


def test_summary_says_when_it_comes_back_as_the_button_said(alice_client, alice):
    """The summary used to count from the moment it was shown: 'Good — in 10 minutes' became
    'comes back in 6 minutes' four minutes later."""
    question = make_question(slug="f", title="Flash")
    started = timezone.now() - timedelta(minutes=5)
    scheduling.record_review(
        alice,
        question,
        sequence=0,
        rating=3,
        now=started + timedelta(minutes=1),
        desired_retention=0.9,
    )
    review = Review.objects.get(user=alice)
    assert review.scheduled_due - review.reviewed_at == timedelta(minutes=10)
    html = alice_client.get(
        SESSION, {"scope": "all", "started": int(started.timestamp())}
    ).content.decode()
    assert "<td>Good</td><td>10 minutes</td>" in html
    assert "6 minutes" not in html


def test_a_session_stopped_by_the_daily_limit_says_so_and_offers_more(alice_client, alice):
    Profile.objects.create(user=alice, new_per_day=1)
    make_question(slug="one", difficulty="easy")
    make_question(slug="two", difficulty="hard")
    _rate(alice_client, "one", 4)
    html = alice_client.get(SESSION, {"scope": "all", "started": 0}).content.decode()
    assert "Session complete" in html and "1 Easy." in html
    assert "You reached today's limit of 1 new question, so the session stopped." in html
    assert "Add 5 more new questions today" in html
    assert f'action="{MORE_NEW}"' in html
    assert 'name="csrfmiddlewaretoken"' in html

    response = alice_client.post(MORE_NEW, {"scope": "all", "started": 0})
    assert response.status_code == 302
    context = alice_client.get(response.url).context
    assert context["question"].slug == "two"
    assert context["queue"].new_left_today == 5
    # The setting itself is unchanged: only today, in this sign-in, gets five more.
    assert Profile.objects.get(user=alice).new_per_day == 1


def test_more_new_questions_over_htmx_shows_the_next_card(alice_client, alice):
    Profile.objects.create(user=alice, new_per_day=1)
    make_question(slug="one", difficulty="easy", title="First one")
    make_question(slug="two", difficulty="hard", title="Second one")
    _rate(alice_client, "one", 4)
    response = alice_client.post(
        MORE_NEW, {"scope": "all", "started": 0}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "Second one" in html and "<html" not in html
    assert "5 new left today" in html


def test_extra_new_questions_lapse_the_next_day(alice_client, alice):
    Profile.objects.create(user=alice, new_per_day=1)
    make_question(slug="one", difficulty="easy")
    make_question(slug="two", difficulty="hard")
    _rate(alice_client, "one", 4)
    session = alice_client.session
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    session["practice_extra_new"] = [yesterday, 5]
    session.save()
    context = alice_client.get(SESSION, {"scope": "all", "started": 0}).context
    assert context.get("question") is None and context["limit_reached"]


def test_more_new_questions_are_capped(alice_client, alice):
    Profile.objects.create(user=alice, new_per_day=198)
    response = alice_client.post(MORE_NEW, {"scope": "all", "started": 0}, follow=True)
    assert "At most 200 new questions a day." in response.content.decode()
    assert "practice_extra_new" not in alice_client.session


def test_more_new_questions_need_a_post(alice_client):
    assert alice_client.get(MORE_NEW).status_code == 405


def test_more_new_questions_belong_to_the_user_who_asked(client, alice, bob):
    Profile.objects.create(user=bob, new_per_day=1)
    make_question(slug="one", difficulty="easy")
    make_question(slug="two", difficulty="hard")
    client.force_login(alice)
    client.post(MORE_NEW, {"scope": "all", "started": 0})
    client.force_login(bob)  # a new sign-in starts a fresh session
    _rate(client, "one", 4)
    context = client.get(SESSION, {"scope": "all", "started": 0}).context
    assert context.get("question") is None and context["queue"].new_limit == 1


def test_no_limit_message_when_nothing_new_is_left(alice_client):
    make_question(slug="only")
    _rate(alice_client, "only", 4)
    html = alice_client.get(SESSION, {"scope": "all", "started": 0}).content.decode()
    assert "Session complete" in html and "today's limit" not in html
    assert "Add 5 more" not in html
