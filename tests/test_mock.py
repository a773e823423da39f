"""Timed mock interviews: composition, autosave, time-out, debrief ratings, ownership."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from questions import mock as mocks
from questions import scheduling
from questions.models import Card, MockInterview, MockItem, Review, Round
from tests.factories import make_question, seed_loop

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def loop(db):
    seed_loop()


def ml_depth_pool(n_per_category=3):
    for category in ("deep-learning", "vision", "recsys", "nlp"):
        for i in range(n_per_category):
            make_question(slug=f"{category}-{i}", category=category, rounds=["ml-depth"])


def test_ml_depth_mock_has_six_questions_across_categories_and_45_minutes(alice):
    ml_depth_pool()
    now = datetime.now(UTC)
    mock = mocks.start(alice, Round.objects.get(slug="ml-depth"), now, random.Random(1))
    items = list(mock.items.filter(follow_up_of=None).select_related("question__category"))
    assert len(items) == 6
    assert len({i.question.category.slug for i in items}) == 4
    assert mock.ends_at - mock.started_at == timedelta(minutes=45)


def test_coding_mock_is_two_coding_problems(alice):
    for i in range(4):
        make_question(
            slug=f"c{i}",
            category="coding",
            rounds=["coding"],
            kind="coding",
            language="python",
            starter="def f():\n    pass\n",
            solution="def f():\n    return 1\n",
            tests="def test_example():\n    assert f() == 1\n",
        )
    make_question(slug="flash", category="ml-coding", rounds=["coding"])
    mock = mocks.start(alice, Round.objects.get(slug="coding"), datetime.now(UTC))
    assert [i.question.kind for i in mock.items.filter(follow_up_of=None)] == ["coding", "coding"]


def test_due_and_weak_questions_come_first(alice):
    ml_depth_pool()
    now = datetime.now(UTC)
    due = make_question(slug="due-one", category="nlp", rounds=["ml-depth"])
    Card.objects.create(
        user=alice,
        question=due,
        reps=2,
        state=2,
        stability=2,
        difficulty=5,
        last_review=now - timedelta(days=9),
        due=now - timedelta(days=1),
    )
    mock = mocks.start(alice, Round.objects.get(slug="ml-depth"), now, random.Random(3))
    assert mock.items.get(position=0).question.slug == "due-one"


def test_run_page_hides_answers_and_difficulty_and_autosaves(alice_client, alice):
    ml_depth_pool()
    alice_client.post(reverse("questions:mock_start"), {"round": "ml-depth"})
    mock = MockInterview.objects.get(user=alice)
    html = alice_client.get(reverse("questions:mock_detail", args=[mock.pk])).content.decode()
    assert "data-countdown" in html and "Model answer" not in html and "badge-medium" not in html
    item = mock.items.get(position=0)  # the question on screen (one at a time)
    response = alice_client.post(
        reverse("questions:mock_answer", args=[mock.pk, 0]), {"answer-0": "my thoughts"}
    )
    assert response.status_code == 200
    item.refresh_from_db()
    assert item.answer == "my thoughts"
    # A reload keeps the clock: seconds left come from the server's end time.
    again = alice_client.get(reverse("questions:mock_detail", args=[mock.pk]))
    assert 0 < again.context["seconds_left"] <= 45 * 60 and "my thoughts" in again.content.decode()


def test_time_out_shows_debrief_without_writing_and_locks_answers(alice_client, alice):
    ml_depth_pool()
    mock = mocks.start(
        alice, Round.objects.get(slug="ml-depth"), datetime.now(UTC) - timedelta(hours=1)
    )
    response = alice_client.get(reverse("questions:mock_detail", args=[mock.pk]))
    assert "debrief" in response.content.decode() and "Model answer" in response.content.decode()
    mock.refresh_from_db()
    assert mock.finished_at is None  # derived from the clock; GET wrote nothing
    locked = alice_client.post(
        reverse("questions:mock_answer", args=[mock.pk, 0]), {"answer-0": "late"}
    )
    assert locked.status_code == 409


def test_rating_needs_every_question(alice_client, alice):
    ml_depth_pool(1)
    mock = mocks.start(
        alice, Round.objects.get(slug="ml-depth"), datetime.now(UTC) - timedelta(hours=1)
    )
    response = alice_client.post(
        reverse("questions:mock_rate", args=[mock.pk]), {"rating-0": "3"}, follow=True
    )
    assert "Rate every question" in response.content.decode()
    assert not Review.objects.exists()


def test_charlie_cannot_see_or_touch_alices_mock(client, alice, charlie):
    ml_depth_pool(1)
    mock = mocks.start(alice, Round.objects.get(slug="ml-depth"), datetime.now(UTC))
    client.force_login(charlie)
    assert client.get(reverse("questions:mock_detail", args=[mock.pk])).status_code == 404
    assert (
        client.post(
            reverse("questions:mock_answer", args=[mock.pk, 0]), {"answer-0": "x"}
        ).status_code
        == 404
    )
    assert client.post(reverse("questions:mock_finish", args=[mock.pk])).status_code == 404
    assert (
        client.post(reverse("questions:mock_rate", args=[mock.pk]), {"rating-0": "3"}).status_code
        == 404
    )
    mock.refresh_from_db()
    assert mock.finished_at is None and not MockItem.objects.filter(answer="x").exists()
    assert not Review.objects.exists()
    assert (
        str(mock.pk)
        not in client.get(reverse("questions:mock_list"))
        .content.decode()
        .split("Past interviews")[1]
    )


def test_empty_round_is_refused_with_a_message(alice_client):
    response = alice_client.post(
        reverse("questions:mock_start"), {"round": "research-directions"}, follow=True
    )
    assert "no questions" in response.content.decode()
    assert not MockInterview.objects.exists()


def test_start_and_finish_need_post(alice_client, alice):
    ml_depth_pool(1)
    assert alice_client.get(reverse("questions:mock_start")).status_code == 405
    mock = mocks.start(alice, Round.objects.get(slug="ml-depth"), datetime.now(UTC))
    assert alice_client.get(reverse("questions:mock_finish", args=[mock.pk])).status_code == 405


def test_scheduling_uses_the_existing_card_sequence(alice_client, alice):
    ml_depth_pool(1)
    question = make_question(slug="seen", category="vision", rounds=["ml-depth"])
    scheduling.record_review(
        alice,
        question,
        sequence=0,
        rating=3,
        now=datetime.now(UTC) - timedelta(days=3),
        desired_retention=0.9,
    )
    mock = MockInterview.objects.create(
        user=alice,
        round=Round.objects.get(slug="ml-depth"),
        started_at=datetime.now(UTC) - timedelta(hours=1),
        ends_at=datetime.now(UTC) - timedelta(minutes=15),
    )
    MockItem.objects.create(mock=mock, question=question, position=0)
    alice_client.post(reverse("questions:mock_rate", args=[mock.pk]), {"rating-0": "4"})
    assert list(Review.objects.filter(question=question).values_list("sequence", "rating")) == [
        (0, 3),
        (1, 4),
    ]


def test_mocks_never_pick_suspended_questions_reviewed_or_not(alice):
    for i in range(3):
        make_question(slug=f"ok-{i}", category="coding", rounds=["coding"], kind="design")
    never_reviewed = make_question(slug="never", category="coding", rounds=["coding"])
    reviewed = make_question(slug="reviewed", category="coding", rounds=["coding"])
    Card.objects.create(user=alice, question=never_reviewed, reps=0, suspended=True)
    Card.objects.create(
        user=alice, question=reviewed, reps=3, state=2, stability=1, difficulty=5, suspended=True
    )
    round_ = Round.objects.get(slug="technical-screen")
    for q in (never_reviewed, reviewed):
        q.rounds.add(round_)
    for seed in range(5):
        chosen = mocks.choose_questions(alice, round_, datetime.now(UTC), random.Random(seed))
        assert {q.slug for q in chosen}.isdisjoint({"never", "reviewed"})


def _mock_with_bobs_shared_question(alice, bob):
    shared = make_question(
        owner=bob, visibility="shared", slug="bobs", title="A shared question by Bob",
        prompt="Secret prompt by Bob", answer="Model answer by Bob", rounds=["ml-depth"],
    )  # fmt: skip
    mine = make_question(slug="mine", title="A built-in question", rounds=["ml-depth"])
    mock = MockInterview.objects.create(
        user=alice,
        round=Round.objects.get(slug="ml-depth"),
        started_at=datetime.now(UTC),
        ends_at=datetime.now(UTC) + timedelta(minutes=45),
    )
    MockItem.objects.create(mock=mock, question=mine, position=0)
    MockItem.objects.create(mock=mock, question=shared, position=1)
    return mock, shared


def test_a_question_made_private_after_the_mock_began_disappears_from_it(alice_client, alice, bob):
    mock, shared = _mock_with_bobs_shared_question(alice, bob)
    detail = reverse("questions:mock_detail", args=[mock.pk])
    alice_client.post(reverse("questions:mock_move", args=[mock.pk]), {"to": "1"})
    assert "Secret prompt by Bob" in alice_client.get(detail).content.decode()
    shared.visibility = "private"
    shared.save()

    html = alice_client.get(detail).content.decode()
    assert "shared question by Bob" not in html and "Secret prompt" not in html
    assert "1 question left this interview" in html
    answer = reverse("questions:mock_answer", args=[mock.pk, 1])
    assert alice_client.post(answer, {"answer-1": "x"}).status_code == 404

    alice_client.post(reverse("questions:mock_finish", args=[mock.pk]), {"answer-1": "late"})
    debrief = alice_client.get(detail).content.decode()
    assert "Model answer by Bob" not in debrief and "A built-in question" in debrief
    alice_client.post(reverse("questions:mock_rate", args=[mock.pk]), {"rating-0": "3"})
    assert list(Review.objects.filter(user=alice).values_list("question__slug", flat=True)) == [
        "mine"
    ]
    assert not MockItem.objects.filter(answer__in=["x", "late"]).exists()


def test_follow_ups_share_tags_are_as_hard_or_harder_and_never_repeat(alice):
    main = make_question(
        slug="attention",
        category="nlp",
        rounds=["ml-depth"],
        tags=["attention"],
        difficulty="medium",
    )
    harder = make_question(slug="multi-head", category="nlp", tags=["attention"], difficulty="hard")
    same = make_question(
        slug="kv-cache", category="vision", tags=["attention"], difficulty="medium"
    )
    make_question(slug="easier", category="nlp", tags=["attention"], difficulty="easy")
    make_question(slug="unrelated", category="recsys", tags=["ranking"], difficulty="hard")
    make_question(
        slug="coding-one",
        category="nlp",
        tags=["attention"],
        difficulty="hard",
        kind="coding",
        language="python",
        starter="def f():\n    pass\n",
        solution="def f():\n    return 1\n",
        tests="def test_example():\n    assert f() == 1\n",
    )
    follow_ups = mocks.choose_follow_ups(alice, [main], random.Random(0))
    # Spoken questions only, sharing the tag, never easier; the harder one first.
    assert [q.slug for q in follow_ups[main.pk]] == ["multi-head", "kv-cache"]
    assert harder.kind == same.kind == "flashcard"


def test_follow_ups_are_items_after_the_main_questions(alice):
    ml_depth_pool()
    make_question(slug="drill-down", category="nlp", tags=["general"], difficulty="hard")
    mock = mocks.start(
        alice, Round.objects.get(slug="ml-depth"), datetime.now(UTC), random.Random(2)
    )
    items = list(mock.items.all())
    main = mocks.main_items(items)
    follow_ups = mocks.follow_ups_by_parent(items)
    assert [i.position for i in main] == list(range(6))
    assert min(i.position for group in follow_ups.values() for i in group) == 6
    asked = [i.question_id for group in follow_ups.values() for i in group]
    assert len(asked) == len(set(asked)) and not set(asked) & {i.question_id for i in main}
    assert all(i.follow_ups_shown_at is None for i in main)


def test_a_suspended_question_is_never_a_follow_up(alice):
    main = make_question(slug="main", category="nlp", rounds=["ml-depth"], tags=["t"])
    hidden = make_question(slug="hidden", category="nlp", tags=["t"])
    Card.objects.create(user=alice, question=hidden, suspended=True)
    assert mocks.choose_follow_ups(alice, [main], random.Random(0))[main.pk] == []


def test_onsite_runs_the_tracks_onsite_rounds_back_to_back(alice):
    from questions.models import Profile, Track

    ml_depth_pool()
    for i in range(3):
        make_question(
            slug=f"code-{i}",
            category="coding",
            rounds=["coding"],
            kind="coding",
            language="python",
            starter="def f():\n    pass\n",
            solution="def f():\n    return 1\n",
            tests="def test_example():\n    assert f() == 1\n",
        )
    make_question(slug="design", category="system-design", rounds=["system-design"], kind="design")
    profile = Profile.objects.create(user=alice, track=Track.objects.get(slug="phd"))
    options = {value: fmt for value, _, fmt in mocks.mock_options(profile)}
    assert options["onsite"].minutes == 45 * 4 and "research-directions" in options
    now = datetime.now(UTC)
    mock = mocks.start_from_choice(alice, "onsite", profile, now, random.Random(0))
    main = mocks.main_items(list(mock.items.select_related("round", "question")))
    # Research directions has no question here, so its 45 minutes are not on the clock.
    assert [i.round.slug for i in main] == ["coding"] * 2 + ["ml-depth"] * 6 + ["system-design"]
    assert mock.name == "Onsite" and mock.ends_at - now == timedelta(minutes=135)
    assert len({i.question_id for i in main}) == len(main)


def test_the_masters_onsite_is_coding_then_ml_depth(alice):
    from questions.models import Profile

    options = [value for value, _, _ in mocks.mock_options(Profile(user=alice))]
    assert options == ["screen", "technical-screen", "coding", "ml-depth", "ai-coding", "onsite"]
    assert mocks.start_from_choice(alice, "onsite", Profile(user=alice), datetime.now(UTC)) == (
        "There are no questions for an onsite yet."
    )
    assert mocks.start_from_choice(alice, "nope", Profile(user=alice), datetime.now(UTC)) == (
        "Choose a round for the mock interview."
    )


def test_seconds_on_adds_the_open_interval_only_for_the_question_on_screen(alice):
    ml_depth_pool(1)
    start = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    mock = mocks.start(alice, Round.objects.get(slug="ml-depth"), start, random.Random(0))
    first, second = mocks.main_items(list(mock.items.all()))[:2]
    second.seconds_spent = 40
    later = start + timedelta(seconds=95)
    assert mocks.seconds_on(first, mock, later) == 95
    assert mocks.seconds_on(second, mock, later) == 40
    # Finished (or out of time) stops the clock, whenever the debrief is read.
    mock.finished_at = start + timedelta(seconds=60)
    assert mocks.seconds_on(first, mock, start + timedelta(hours=3)) == 60
    mock.finished_at = None
    assert mocks.seconds_on(first, mock, start + timedelta(hours=3)) == 45 * 60
