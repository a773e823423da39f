"""Today, the signed-in home page: what to do now, in order, how long it takes, the streak."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from questions import scheduling
from questions.models import Card, InterviewLoop, Profile, Review, Round, Stage
from tests.factories import make_question, seed_loop

pytestmark = pytest.mark.django_db

HOME = "/"


def _today():
    return timezone.localdate()


def _stage(user, name, slug, days, company="Pinterest", outcome=""):
    loop, _ = InterviewLoop.objects.get_or_create(user=user, company=company)
    return Stage.objects.create(
        loop=loop,
        position=loop.stages.count(),
        name=name,
        round=Round.objects.get(slug=slug) if slug else None,
        date=_today() + timedelta(days=days) if days is not None else None,
        outcome=outcome,
    )


def _due_card(user, question, hours_ago=1):
    now = datetime.now(UTC)
    return Card.objects.create(
        user=user,
        question=question,
        reps=2,
        state=2,
        stability=3.0,
        difficulty=5.0,
        last_review=now - timedelta(days=3),
        due=now - timedelta(hours=hours_ago),
    )


@pytest.fixture
def bank():
    seed_loop()
    coding = [
        make_question(slug=f"c{i}", rounds=["coding"], category="coding", difficulty="easy")
        for i in range(10)
    ]
    screen = [make_question(slug=f"t{i}", rounds=["technical-screen"]) for i in range(10)]
    return {"coding": coding, "technical-screen": screen}


@pytest.fixture
def onboarded(alice):
    return Profile.objects.create(
        user=alice, onboarded_at=datetime.now(UTC), new_per_day=5, minutes_per_day=60
    )


def _actions(html: str) -> list[str]:
    return re.findall(r'class="today-action card today-(\w+)"', html)


def test_visitors_keep_the_landing_page(client):
    html = client.get(HOME).content.decode()
    assert "Get ready for every round" in html and "What to do now" not in html


def test_the_order_is_reviews_then_new_for_the_next_stage_then_a_mock(
    alice_client, alice, bank, onboarded
):
    for question in bank["technical-screen"][:4]:
        _due_card(alice, question)
    _stage(alice, "Coding round", "coding", days=2)
    html = alice_client.get(HOME).content.decode()
    assert _actions(html) == ["reviews", "new", "mock"]
    assert "4 reviews due" in html
    assert 'href="/practice/session/?scope=due">Start reviews</a>' in html
    # The coding stage is in 2 days: one learning day (today), 8 to learn, the limit gives 5.
    assert "5 new from Coding interviews" in html
    assert 'href="/practice/session/?scope=round:coding">Learn 5 new for Coding round</a>' in html
    assert "Your Coding round stage is in 2 days: run a mock" in html
    assert 'href="/mock/?round=coding">Choose the mock</a>' in html
    # Minutes: 4 reviews x 1.5 = 6, 5 new flashcards x 4 = 20, the coding mock 45: 71 > 60.
    assert "About 6 minutes" in html and "About 20 minutes" in html and "About 45 minutes" in html
    assert "<strong>71 minutes</strong> in all: more than your 60 minutes a day" in html
    assert "Next stage: <strong>Coding round</strong> (Pinterest)" in html
    assert f'href="{reverse("questions:loops")}"' in html


def test_the_learn_link_gives_new_questions_of_that_round_within_the_daily_limit(
    alice_client, alice, bank, onboarded
):
    _stage(alice, "Coding round", "coding", days=10)
    assert "Learn 5 new for Coding round" in alice_client.get(HOME).content.decode()
    session = alice_client.get(reverse("questions:practice_session"), {"scope": "round:coding"})
    question = session.context["queue"].new_question
    assert question is not None and question.slug.startswith("c")
    now = datetime.now(UTC)
    for q in bank["coding"][:3]:
        scheduling.record_review(alice, q, sequence=0, rating=3, now=now, desired_retention=0.9)
    html = alice_client.get(HOME).content.decode()
    assert "Learn 2 new for Coding round" in html  # 3 of today's 5 are learned
    for q in bank["coding"][3:5]:
        scheduling.record_review(alice, q, sequence=0, rating=3, now=now, desired_retention=0.9)
    html = alice_client.get(HOME).content.decode()
    assert "new" not in _actions(html)
    state = alice_client.get(
        reverse("questions:practice_session"), {"scope": "round:coding"}
    ).context["queue"]
    assert state.new_question is None and state.new_left_today == 0


@pytest.mark.parametrize(("days", "suggested"), [(0, True), (3, True), (4, False)])
def test_a_mock_is_suggested_only_within_three_days(
    alice_client, alice, bank, onboarded, days, suggested
):
    _stage(alice, "Technical screen", "technical-screen", days=days)
    html = alice_client.get(HOME).content.decode()
    assert ("mock" in _actions(html)) is suggested
    assert ('href="/mock/?round=technical-screen"' in html) is suggested


def test_no_mock_for_a_stage_without_a_round_or_already_done(alice_client, alice, bank, onboarded):
    _stage(alice, "Team matching", None, days=1)
    _stage(alice, "Screen", "screen", days=1, outcome="passed")
    html = alice_client.get(HOME).content.decode()
    assert "mock" not in _actions(html)
    assert "Next stage: <strong>Team matching</strong>" in html


def test_a_user_who_has_not_onboarded_is_asked_to_set_up_the_loop(alice_client, alice):
    seed_loop()
    html = alice_client.get(HOME).content.decode()
    assert "Set up your loop" in html
    assert f'href="{reverse("questions:onboarding")}"' in html
    # A new user: nothing due, nothing planned, and it says so.
    assert "Nothing is due yet: you have not practised anything." in html
    assert "You have not added an interview loop yet." in html
    assert not Profile.objects.filter(user=alice).exists()  # GET writes nothing


def test_an_onboarded_user_is_not_asked_again(alice_client, alice, onboarded):
    seed_loop()
    assert "Set up your loop" not in alice_client.get(HOME).content.decode()


def test_the_streak_counts_days_with_reviews(alice_client, alice, bank, onboarded):
    now = datetime.now(UTC)
    question = bank["technical-screen"][0]
    for days_ago in (2, 1, 0):
        scheduling.record_review(
            alice,
            question,
            sequence=2 - days_ago,
            rating=3,
            now=now - timedelta(days=days_ago),
            desired_retention=0.9,
        )
    html = alice_client.get(HOME).content.decode().replace("\n", "")
    assert '<span class="stat-value">3</span><span class="stat-label">day streak' in html
    assert '<span class="stat-value">1</span><span class="stat-label">reviews today' in html


def test_a_stage_at_risk_is_named_on_today(alice_client, alice, bank, onboarded):
    _stage(alice, "Coding round", "coding", days=1)  # tomorrow: no learning day left
    html = alice_client.get(HOME).content.decode()
    assert "At risk at your budget" in html
    assert "Your Coding round stage is tomorrow and 8 questions are still new." in html


def test_nothing_left_for_today(alice_client, alice, bank, onboarded):
    question = bank["technical-screen"][0]
    scheduling.record_review(
        alice, question, sequence=0, rating=3, now=datetime.now(UTC), desired_retention=0.9
    )
    html = alice_client.get(HOME).content.decode()
    assert _actions(html) == []
    assert "Nothing left for now: no reviews are due." in html
    assert "You learned 1 new question today." in html
    assert "None of your stages" not in html and "Add your interview stages" in html


def test_other_users_loops_do_not_show(alice_client, alice, bob, bank, onboarded):
    _stage(bob, "Bob's coding", "coding", days=2)
    html = alice_client.get(HOME).content.decode()
    assert "Bob" not in html and _actions(html) == []


def _home_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(HOME).status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_with_loops_and_stages(
    alice_client, alice, bank, onboarded, django_assert_num_queries
):
    _stage(alice, "Coding round", "coding", days=2)
    _due_card(alice, bank["technical-screen"][0])
    _home_queries(alice_client)  # warms the cached built-in pool sizes
    one = _home_queries(alice_client)
    for n in range(3):
        company = f"Company {n}"
        _stage(alice, "Coding", "coding", days=5 + n, company=company)
        _stage(alice, "Screen", "technical-screen", days=9 + n, company=company)
        _stage(alice, "Chat", None, days=None, company=company)
    for question in bank["technical-screen"][1:6]:
        _due_card(alice, question)
    with django_assert_num_queries(one):
        html = alice_client.get(HOME).content.decode()
    assert html.count("today-action card") == 3
    assert one <= 12


def test_reviews_due_come_from_visible_questions_only(alice_client, alice, bob, onboarded):
    seed_loop()
    private = make_question(slug="bobs", owner=bob, visibility="shared")
    _due_card(alice, private)
    assert "1 review due" in alice_client.get(HOME).content.decode()
    private.visibility = "private"
    private.save()
    html = alice_client.get(HOME).content.decode()
    assert "review due" not in html  # the practice session would not show it either
    assert Review.objects.count() == 0


# --- In the browser: the page on a phone and on a desktop, light and dark ----------------------

SHOTS = "/tmp/prep-today-shots"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_today_and_the_dashboard_read_well_on_a_phone_and_a_desktop(
    logged_in_page, live_server, alice
):
    import os

    seed_loop()
    Profile.objects.create(
        user=alice, onboarded_at=datetime.now(UTC), new_per_day=10, minutes_per_day=30
    )
    screen = [make_question(slug=f"t{i}", rounds=["technical-screen"]) for i in range(12)]
    for i in range(20):
        make_question(slug=f"c{i}", rounds=["coding"], category="coding", difficulty="easy")
    for question in screen[:3]:
        _due_card(alice, question)
    _stage(alice, "Recruiter screen", "screen", days=-6, outcome="passed")
    _stage(alice, "Coding interviews", "coding", days=2)
    _stage(alice, "Technical screen", "technical-screen", days=9)
    os.makedirs(SHOTS, exist_ok=True)
    page = logged_in_page
    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            for name, path in (("today", "/"), ("dashboard", "/dashboard/")):
                page.goto(f"{live_server.url}{path}")
                page.screenshot(path=f"{SHOTS}/{name}-{width}-{scheme}.png", full_page=True)
                if name == "dashboard":
                    for part in ("round-list", "plan"):
                        page.locator(f".{part}").screenshot(
                            path=f"{SHOTS}/{name}-{part}-{width}-{scheme}.png"
                        )
                overflow = page.evaluate("document.documentElement.scrollWidth")
                assert overflow <= width, (name, width, overflow)
    page.goto(f"{live_server.url}/")
    buttons = page.locator(".today-action .button")
    assert buttons.all_inner_texts() == [
        "Start reviews",
        "Learn 6 new for Coding interviews",  # 30 min - 3 reviews x 1.5 = 25.5: 6 x 4 min
        "Choose the mock",
    ]
    buttons.first.click()
    page.wait_for_url("**/practice/session/?scope=due")
    assert page.get_by_text("Everything due").first.is_visible()
