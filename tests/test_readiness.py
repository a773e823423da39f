"""The readiness formula, pinned with hand-computed cases, and the dashboard."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from questions import readiness, scheduling
from questions.models import Card, Profile, ReadinessSnapshot, Review, Round, Track
from tests.factories import make_question, seed_loop

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# FSRS 6 forgetting curve with the default w[20] = 0.1542: R(t) = (1 + F t / S) ** -0.1542,
# F = 0.9 ** (1 / -0.1542) - 1, so that R = 0.9 when t equals the stability S.
DECAY = -0.1542
FACTOR = 0.9 ** (1 / DECAY) - 1


def R(days: float, stability: float) -> float:
    return (1 + FACTOR * days / stability) ** DECAY


@pytest.fixture
def pool(alice):
    """Four technical-screen questions: A recalled at 90% now, B just reviewed, C never seen,
    D a coding question practised but never solved."""
    seed_loop()
    a = make_question(slug="a", rounds=["technical-screen"])
    b = make_question(slug="b", rounds=["technical-screen"])
    make_question(slug="c", rounds=["technical-screen"])
    d = make_question(
        slug="d",
        rounds=["technical-screen"],
        kind="coding",
        category="coding",
        language="python",
        starter="def f():\n    pass\n",
        solution="def f():\n    return 1\n",
        tests="def test_example():\n    assert f() == 1\n",
    )
    common = {
        "user": alice,
        "reps": 3,
        "state": 2,
        "difficulty": 5.0,
        "due": NOW + timedelta(days=3),
    }
    Card.objects.create(question=a, stability=10.0, last_review=NOW - timedelta(days=10), **common)
    Card.objects.create(question=b, stability=5.0, last_review=NOW, **common)
    Card.objects.create(question=d, stability=50.0, last_review=NOW, solved=False, **common)
    return Round.objects.get(slug="technical-screen")


def test_hand_computed_now(alice, pool):
    (item,) = readiness.compute(alice, [pool], NOW, None)
    assert item.pool == 4 and item.practised == 2 and item.coverage == 0.5
    assert (item.coding_total, item.solved_coding) == (1, 0)
    # A: t = S so R = 0.9; B: t = 0 so R = 1; C and unsolved D count 0.
    assert item.recall_now == pytest.approx((0.9 + 1.0) / 4, abs=1e-4)
    assert item.score == pytest.approx(47.5, abs=0.01)
    assert item.recall_at_date is None
    assert (item.band, item.band_label) == ("learning", "Learning")


def test_hand_computed_at_the_interview_date(alice, pool):
    interview = date(2026, 3, 12)  # 10 days later, at 09:00 UTC
    (item,) = readiness.compute(alice, [pool], NOW, interview)
    expected = (R(20, 10) + R(10, 5)) / 4
    assert R(20, 10) == pytest.approx(0.8459, abs=1e-3)  # (1 + 0.9803 * 2) ** -0.1542
    assert R(10, 5) == pytest.approx(0.8459, abs=1e-3)
    assert item.recall_at_date == pytest.approx(expected, abs=1e-4)
    assert item.score == pytest.approx(100 * expected, abs=0.01)
    assert item.score < 100 * item.recall_now  # forgetting happens before the interview


def test_solving_the_coding_question_counts_it(alice, pool):
    Card.objects.filter(question__slug="d").update(solved=True)
    (item,) = readiness.compute(alice, [pool], NOW, None)
    assert item.practised == 3 and item.solved_coding == 1
    assert item.score == pytest.approx(100 * (0.9 + 1.0 + 1.0) / 4, abs=0.01)
    assert (item.band, item.band_label) == ("nearly-ready", "Nearly ready")


@pytest.mark.parametrize(
    ("score", "practised", "band"),
    [
        (0, 0, "not-started"),
        (10, 1, "learning"),
        (49.9, 5, "learning"),
        (50, 5, "nearly-ready"),
        (79.9, 5, "nearly-ready"),
        (80, 5, "ready"),
        (100, 9, "ready"),
    ],
)
def test_band_thresholds(score, practised, band):
    assert readiness.band_for(score, practised)[0] == band


def test_past_interview_date_falls_back_to_now(alice, pool):
    (item,) = readiness.compute(alice, [pool], NOW, date(2026, 1, 1))
    assert item.recall_at_date is None and item.score == pytest.approx(47.5, abs=0.01)


def test_other_users_private_questions_are_not_in_the_pool(alice, bob, pool):
    make_question(slug="bobs", owner=bob, rounds=["technical-screen"])
    assert readiness.compute(alice, [pool], NOW, None)[0].pool == 4
    assert readiness.compute(bob, [pool], NOW, None)[0].pool == 5


def test_track_rounds_follow_the_profile(alice):
    seed_loop()
    profile = Profile(user=alice)
    assert [r.slug for r in readiness.track_rounds(profile)] == [
        "screen",
        "technical-screen",
        "coding",
        "ml-depth",
    ]
    profile.track = Track.objects.get(slug="phd")
    assert len(readiness.track_rounds(profile)) == 7


def test_rating_records_a_snapshot(alice_client, alice):
    seed_loop()
    question = make_question(slug="snap", rounds=["technical-screen", "ml-depth"])
    scheduling.record_review(alice, question, sequence=0, rating=4, now=NOW, desired_retention=0.9)
    readiness.record_snapshots(alice, question, NOW)
    assert sorted(ReadinessSnapshot.objects.values_list("round__slug", flat=True)) == [
        "ml-depth",
        "technical-screen",
    ]


def test_a_later_rating_the_same_day_overwrites_that_days_snapshot(alice):
    seed_loop()
    first = make_question(slug="first", rounds=["ml-depth"])
    second = make_question(slug="second", rounds=["ml-depth"])
    scheduling.record_review(alice, first, sequence=0, rating=4, now=NOW, desired_retention=0.9)
    readiness.record_snapshots(alice, first, NOW)
    before = ReadinessSnapshot.objects.get(user=alice, round__slug="ml-depth")
    later = NOW + timedelta(hours=1)
    scheduling.record_review(alice, second, sequence=0, rating=4, now=later, desired_retention=0.9)
    readiness.record_snapshots(alice, second, later)
    after = ReadinessSnapshot.objects.get(user=alice, round__slug="ml-depth")
    assert after.pk == before.pk  # still one row for the day
    assert after.coverage > before.coverage


def test_dashboard_shows_each_round_of_the_track(alice_client, alice):
    seed_loop()
    question = make_question(slug="dash", rounds=["ml-depth"], category="deep-learning")
    scheduling.record_review(
        alice, question, sequence=0, rating=4, now=datetime.now(UTC), desired_retention=0.9
    )
    html = alice_client.get(reverse("questions:dashboard")).content.decode()
    for name in (
        "Application and recruiter screen",
        "Technical screen",
        "Coding interviews",
        "ML-specific interviews",
    ):
        assert name in html
    assert "ML system design" not in html  # not in the masters track
    assert html.count('role="meter"') == 4
    assert "Reviews per day, last year" in html and "Reviews due in the next 14 days" in html
    assert '1</span><span class="stat-label">reviews in total' in html.replace("\n", "").replace(
        "  ", ""
    )


def test_dashboard_plan_warns_when_the_date_is_too_close(alice_client, alice):
    seed_loop()
    for i in range(30):
        make_question(slug=f"p{i}", rounds=["technical-screen"])
    Profile.objects.create(
        user=alice, interview_date=date.today() + timedelta(days=3), new_per_day=2
    )
    html = alice_client.get(reverse("questions:dashboard")).content.decode()
    # The per-stage plan (questions/stage_plan.py) names the round at risk and why.
    assert "At your budget, Technical screen (your interview date) is at risk." in html
    assert "It needs 12 new a day, your budget is 2" in html  # 24 to learn over 2 days


def _dashboard_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("questions:dashboard")).status_code == 200
    return len(queries)


def test_dashboard_query_count_does_not_grow_with_the_review_log(alice_client, alice):
    seed_loop()
    questions = [
        make_question(slug=f"dq-{i}", rounds=["technical-screen", "ml-depth"]) for i in range(20)
    ]
    start = datetime.now(UTC) - timedelta(days=360)
    Review.objects.bulk_create(
        Review(
            user=alice,
            question=questions[i % 2],
            sequence=i,
            rating=3,
            reviewed_at=start + timedelta(hours=i),
            scheduled_due=start,
            stability=1,
            difficulty=5,
            desired_retention=0.9,
        )
        for i in range(10)
    )
    for q in questions[:2]:
        Card.objects.create(
            user=alice,
            question=q,
            reps=1,
            state=2,
            stability=5,
            difficulty=5,
            last_review=start,
            due=start + timedelta(days=5),
        )
    _dashboard_queries(alice_client)  # warms the cached built-in pool sizes
    small = _dashboard_queries(alice_client)
    Review.objects.bulk_create(
        Review(
            user=alice,
            question=questions[i % 20],
            sequence=1000 + i,
            rating=1 + i % 4,
            reviewed_at=start + timedelta(minutes=50 * i),
            scheduled_due=start,
            stability=1,
            difficulty=5,
            desired_retention=0.9,
        )
        for i in range(10_000)
    )
    for q in questions:
        Card.objects.update_or_create(
            user=alice,
            question=q,
            defaults={
                "reps": 5,
                "state": 2,
                "stability": 20,
                "difficulty": 5,
                "last_review": start + timedelta(days=300),
                "due": datetime.now(UTC) + timedelta(days=2),
            },
        )
    assert Review.objects.filter(user=alice).count() == 10_010
    assert _dashboard_queries(alice_client) == small
    assert small <= 13  # 12 before the loops' stages were read (questions/stage_plan.py)


def test_changing_the_bank_recounts_the_pools(alice, pool, django_capture_on_commit_callbacks):
    assert readiness.compute(alice, [pool], NOW, None)[0].pool == 4
    with django_capture_on_commit_callbacks(execute=True):
        make_question(slug="e", rounds=["technical-screen"])
    assert readiness.compute(alice, [pool], NOW, None)[0].pool == 5
