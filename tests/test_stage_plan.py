"""Each round at its own stage's date, and the per-stage plan, pinned with hand-computed cases.

Today is Monday 2 March 2026 in every case. A stage on day D learns new questions from today
to D - 2 (the day before is for review), so learning_days = (D - today) - 1. A plan row must
practise ceil(0.8 x pool) questions. Minutes: 1.5 a review, 4 to learn a flashcard, 15 a
coding question; each question learned comes back for one review the next day.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from questions import readiness, stage_plan
from questions.models import Card, InterviewLoop, Profile, Round, Stage
from questions.readiness import RoundReadiness
from tests.factories import make_question, seed_loop

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # before 09:00, so a stage today is still ahead


@pytest.fixture
def rounds():
    seed_loop()
    return {r.slug: r for r in Round.objects.all()}


def item(round_, pool, practised=0, coding_total=0, solved=0) -> RoundReadiness:
    """A round's readiness as compute() gives it; only the counts matter to the plan."""
    return RoundReadiness(
        round_, pool, practised, solved, coding_total, 0, 0.0, None, 0.0, "learning", "Learning"
    )


def profile(new_per_day=10, minutes_per_day=600, interview_date=None) -> Profile:
    return Profile(
        new_per_day=new_per_day, minutes_per_day=minutes_per_day, interview_date=interview_date
    )


def loop(user, company="Pinterest", **stages) -> InterviewLoop:
    """A loop whose stages are name=(round slug, date, outcome)."""
    created = InterviewLoop.objects.create(user=user, company=company)
    for position, (name, (slug, day, outcome)) in enumerate(stages.items()):
        Stage.objects.create(
            loop=created,
            position=position,
            name=name.replace("_", " "),
            round=Round.objects.get(slug=slug) if slug else None,
            date=day,
            outcome=outcome,
        )
    return created


def plan_for(user, items, prof, forecast=None, learned=0):
    stages = stage_plan.load_stages(user)
    targets = stage_plan.round_targets([i.round for i in items], stages, TODAY, prof.interview_date)
    forecast = forecast or stage_plan.ReviewForecast(0, {})
    return stage_plan.build(items, targets, prof, TODAY, forecast, learned)


def test_one_stage(alice, rounds):
    loop(alice, Technical_screen=("technical-screen", date(2026, 3, 12), ""))
    plan = plan_for(alice, [item(rounds["technical-screen"], pool=20, practised=4)], profile())
    (row,) = plan.rows
    # 12 Mar is 10 days away: learning days 2 Mar .. 10 Mar = 9. ceil(0.8 x 20) - 4 = 12 to
    # learn, ceil(12 / 9) = 2 a day needed.
    assert (row.days_left, row.learning_days, row.to_learn, row.per_day_needed) == (10, 9, 12, 2)
    # Day 1: limit 10, 600 min fit 150 -> 10 today. Day 2: 10 reviews (15 min), the last 2.
    assert (row.today, row.scheduled, row.at_risk) == (10, 12, False)
    assert row.name == "Technical screen" and row.stage.name == "Technical screen"
    assert plan.today == [row] and not plan.at_risk


def test_two_stages_on_different_dates_sharing_no_round(alice, rounds):
    loop(
        alice,
        Recruiter_call=("screen", date(2026, 3, 5), ""),
        Coding=("coding", date(2026, 3, 9), ""),
    )
    items = [
        item(rounds["screen"], pool=10),
        # 5 coding + 5 flashcards still new: (5 x 15 + 5 x 4) / 10 = 9.5 minutes each.
        item(rounds["coding"], pool=10, coding_total=5),
    ]
    plan = plan_for(alice, items, profile(new_per_day=6, minutes_per_day=120))
    screen, coding = plan.rows
    assert coding.minutes_per_new == pytest.approx(9.5)
    # The screen learns 2 and 3 Mar (8 to learn); coding 2 .. 7 Mar (8 to learn).
    assert (screen.learning_days, screen.to_learn) == (2, 8)
    assert (coding.learning_days, coding.to_learn) == (6, 8)
    # 2 Mar: limit 6 all to the screen (6 x 4 = 24 of 120 min).
    # 3 Mar: 6 reviews (9 min) leave 111; the screen's last 2 (8 min) leave 103 and a count of
    #        4; coding gets min(8, 4, floor(103 / 9.5) = 10) = 4.
    # 4 Mar: 6 reviews leave 111; coding gets its last 4.
    assert (screen.today, screen.scheduled) == (6, 8)
    assert (coding.today, coding.scheduled) == (0, 8)
    assert not plan.at_risk
    assert plan.today == [screen]


def test_two_stages_sharing_a_round_count_for_the_earlier(alice, rounds):
    first = loop(alice, Onsite_coding=("coding", date(2026, 3, 20), ""))
    loop(alice, "Other", Coding_round=("coding", date(2026, 3, 10), ""))
    stages = stage_plan.load_stages(alice)
    targets = stage_plan.round_targets([rounds["coding"]], stages, TODAY, None)
    target = targets[rounds["coding"].pk]
    assert (target.stage.name, target.date) == ("Coding round", date(2026, 3, 10))
    assert [s.name for s in target.later] == ["Onsite coding"]
    assert target.later[0].loop == first
    plan = stage_plan.build(
        [item(rounds["coding"], pool=10)],
        targets,
        profile(),
        TODAY,
        stage_plan.ReviewForecast(0, {}),
        0,
    )
    (row,) = plan.rows  # one row for the round, toward the earlier date
    assert row.date == date(2026, 3, 10) and row.to_learn == 8


def test_a_done_stage_stops_counting(alice, rounds):
    loop(
        alice,
        Screen=("screen", date(2026, 2, 20), "passed"),
        Technical_screen=("technical-screen", date(2026, 3, 1), "waiting"),
        Coding=("coding", date(2026, 3, 12), ""),
    )
    items = [
        item(rounds["screen"], pool=10),
        item(rounds["technical-screen"], pool=10),
        item(rounds["coding"], pool=10),
    ]
    stages = stage_plan.load_stages(alice)
    targets = stage_plan.round_targets([i.round for i in items], stages, TODAY, None)
    assert targets[rounds["screen"].pk].done.outcome == "passed"
    assert targets[rounds["technical-screen"].pk].done.outcome == "waiting"
    assert targets[rounds["technical-screen"].pk].date is None  # predicted now
    plan = plan_for(alice, items, profile())
    assert [r.round.slug for r in plan.rows] == ["coding"]


def test_an_archived_loop_does_not_count(alice, rounds):
    old = loop(alice, "Old", Coding=("coding", date(2026, 3, 4), ""))
    old.archived_at = NOW
    old.save()
    assert stage_plan.load_stages(alice) == []


def test_a_stage_today_is_at_risk_with_questions_still_new(alice, rounds):
    loop(alice, Technical_screen=("technical-screen", TODAY, ""))
    plan = plan_for(alice, [item(rounds["technical-screen"], pool=10, practised=3)], profile())
    (row,) = plan.rows
    # ceil(0.8 x 10) - 3 = 5 to learn, no learning day left.
    assert (row.days_left, row.learning_days, row.to_learn, row.scheduled) == (0, 0, 5, 0)
    assert row.at_risk and plan.at_risk == [row]
    assert row.reason == "Your Technical screen stage is today and 5 questions are still new."
    assert row.today == 0


def test_a_stage_tomorrow(alice, rounds):
    loop(alice, Recruiter_screen=("screen", TODAY + timedelta(days=1), ""))
    plan = plan_for(alice, [item(rounds["screen"], pool=40, practised=2)], profile())
    # ceil(0.8 x 40) - 2 = 30.
    assert plan.rows[0].reason == (
        "Your Recruiter screen stage is tomorrow and 30 questions are still new."
    )


def test_each_round_is_predicted_at_nine_on_its_stages_date(alice, rounds):
    question = make_question(slug="ts", rounds=["technical-screen"])
    Card.objects.create(
        user=alice,
        question=question,
        reps=3,
        state=2,
        stability=10.0,
        difficulty=5.0,
        last_review=NOW - timedelta(days=10),
        due=NOW + timedelta(days=3),
    )
    ts, coding = rounds["technical-screen"], rounds["coding"]
    stage_day = TODAY + timedelta(days=10)
    a, b = readiness.compute(alice, [ts, coding], NOW, None, {ts.pk: stage_day})
    # 09:00 on 12 Mar is 20 whole days after the review: R = (1 + F x 20 / 10) ** -0.1542
    # with F = 0.9 ** (1 / -0.1542) - 1 (FSRS 6 counts whole days).
    factor = 0.9 ** (1 / -0.1542) - 1
    expected = (1 + factor * 20 / 10) ** -0.1542
    assert a.recall_at_date == pytest.approx(expected, abs=1e-6)
    assert a.target_date == stage_day and a.score < 100 * a.recall_now
    assert b.recall_at_date is None and b.target_date is None  # no date: now
    # A stage today is predicted at 09:00 until then, and for now after it.
    (early,) = readiness.compute(alice, [ts], NOW, None, {ts.pk: TODAY})
    assert early.target_date == TODAY
    (late,) = readiness.compute(alice, [ts], NOW + timedelta(hours=3), None, {ts.pk: TODAY})
    assert late.target_date is None and late.score == pytest.approx(100 * late.recall_now)


def test_budget_too_small(alice, rounds):
    loop(alice, ML_interviews=("ml-depth", date(2026, 3, 7), ""))
    plan = plan_for(alice, [item(rounds["ml-depth"], pool=60)], profile(new_per_day=10))
    (row,) = plan.rows
    # 48 to learn over 4 days (2 .. 5 Mar) needs 12 a day; the limit gives 10 a day: 40.
    assert (row.to_learn, row.learning_days, row.per_day_needed) == (48, 4, 12)
    assert (row.scheduled, row.short, row.at_risk) == (40, 8, True)
    assert row.reason == (
        "It needs 12 new a day, your budget is 10 (your limit of 10 new a day): "
        "8 of 48 will still be new on 7 Mar."
    )


def test_minutes_are_the_binding_limit(alice, rounds):
    loop(alice, Technical_screen=("technical-screen", date(2026, 3, 5), ""))
    forecast = stage_plan.ReviewForecast(4, {TODAY: 4})
    plan = plan_for(
        alice,
        [item(rounds["technical-screen"], pool=20)],
        profile(new_per_day=20, minutes_per_day=30),
        forecast,
    )
    (row,) = plan.rows
    # 2 Mar: 4 reviews x 1.5 = 6 min, 24 left: floor(24 / 4) = 6 new.
    # 3 Mar: the 6 come back: 9 min, 21 left: floor(21 / 4) = 5 new. 11 of 16.
    assert (row.to_learn, row.today, row.scheduled, row.short) == (16, 6, 11, 5)
    assert plan.budgets[TODAY] == (20, 24.0)
    assert row.reason == (
        "It needs 8 new a day, your budget is 5 (30 minutes a day, less the reviews): "
        "5 of 16 will still be new on 5 Mar."
    )


def test_the_earlier_stage_is_served_first_and_named_in_the_later_ones_reason(alice, rounds):
    loop(
        alice,
        Screen=("screen", date(2026, 3, 5), ""),
        Technical_screen=("technical-screen", date(2026, 3, 6), ""),
    )
    items = [item(rounds["screen"], pool=10), item(rounds["technical-screen"], pool=10)]
    plan = plan_for(alice, items, profile(new_per_day=5))
    screen, technical = plan.rows
    # Screen: 8 over 2 .. 3 Mar; technical screen: 8 over 2 .. 4 Mar; 5 a day.
    # 2 Mar: 5 screen. 3 Mar: 3 screen, 2 technical. 4 Mar: 5 technical -> 7 of 8.
    assert (screen.today, screen.scheduled, screen.at_risk) == (5, 8, False)
    assert (technical.today, technical.scheduled, technical.short) == (0, 7, 1)
    # (8 + 8) / 3 days = 5.33 -> 6 a day needed.
    assert technical.reason == (
        "It needs 6 new a day with Screen first, your budget is 5 (your limit of 5 new a day): "
        "1 of 8 will still be new on 6 Mar."
    )


def test_what_was_learned_today_counts_against_todays_limit(alice, rounds):
    loop(alice, Coding=("coding", date(2026, 3, 12), ""))
    plan = plan_for(alice, [item(rounds["coding"], pool=50)], profile(new_per_day=10), learned=7)
    assert plan.rows[0].today == 3


def test_no_stage_falls_back_to_the_interview_date(alice, rounds):
    items = [item(rounds["technical-screen"], pool=10)]
    plan = plan_for(alice, items, profile(interview_date=date(2026, 3, 12)))
    (row,) = plan.rows
    assert row.stage is None and row.date == date(2026, 3, 12)
    assert row.name == "Technical screen (your interview date)"
    # An undated stage also falls back to the interview date.
    loop(alice, Technical_screen=("technical-screen", None, ""))
    assert plan_for(alice, items, profile(interview_date=date(2026, 3, 12))).rows[0].stage is None


def test_no_dates_at_all_means_no_plan(alice, rounds):
    items = [item(rounds["technical-screen"], pool=10)]
    assert plan_for(alice, items, profile()) is None
    assert plan_for(alice, items, profile(interview_date=date(2026, 2, 1))) is None  # past


def test_forecast_reviews_per_day_in_one_query(alice, rounds):
    questions = [make_question(slug=f"f{i}") for i in range(4)]
    dues = [
        NOW - timedelta(days=1),  # overdue: counts today
        NOW - timedelta(hours=1),  # due now
        NOW + timedelta(hours=5),  # later today
        NOW + timedelta(days=2),
    ]
    for question, due in zip(questions, dues, strict=True):
        Card.objects.create(
            user=alice, question=question, reps=1, state=2, stability=3, difficulty=5, due=due
        )
    with CaptureQueriesContext(connection) as queries:
        forecast = stage_plan.forecast_reviews(alice, NOW, TODAY, TODAY + timedelta(days=5))
    assert len(queries) == 1
    assert forecast.due_now == 2
    assert forecast.per_day == {TODAY: 3, TODAY + timedelta(days=2): 1}


def test_loading_stages_is_one_query_whatever_the_number_of_loops(alice, bob, rounds):
    for n in range(4):
        loop(alice, f"Company {n}", Screen=("screen", TODAY, ""), Chat=(None, None, ""))
    loop(bob, Screen=("screen", TODAY, ""))
    with CaptureQueriesContext(connection) as queries:
        stages = stage_plan.load_stages(alice)
        _ = [(s.round and s.round.name, s.loop.company) for s in stages]
    assert len(queries) == 1 and len(stages) == 8


def test_rounds_to_show_adds_stage_rounds_outside_the_track(alice, rounds):
    loop(alice, Design=("system-design", date(2026, 3, 9), ""))
    track = readiness.track_rounds(Profile(user=alice))
    shown = stage_plan.rounds_to_show(track, stage_plan.load_stages(alice))
    assert [r.slug for r in shown] == [
        "screen",
        "technical-screen",
        "coding",
        "ml-depth",
        "system-design",
    ]


# --- The dashboard: each round at its own stage's date -----------------------------------------


def _dashboard(client) -> str:
    return client.get(reverse("questions:dashboard")).content.decode()


def test_dashboard_names_the_stage_and_date_of_each_round(alice_client, alice, rounds):
    today = timezone.localdate()
    make_question(slug="c1", rounds=["coding"], category="coding")
    loop(
        alice,
        Screen=("screen", today - timedelta(days=5), "passed"),
        Coding_round=("coding", today + timedelta(days=12), ""),
    )
    loop(alice, "Other", Late_coding=("coding", today + timedelta(days=20), ""))
    html = _dashboard(alice_client)
    day = today + timedelta(days=12)
    assert (
        f'Coding round <span class="muted">(Pinterest)</span>, {day.day} {day:%b} (in 12 days)'
        in html
    )
    assert f"/100 predicted for {day.day} {day:%b}" in html
    assert "then Late coding" in html  # the later stage that shares the round
    assert "passed. This round no longer counts for the plan." in html
    assert '<span class="band band-outcome-passed">Passed</span>' in html
    assert "Study plan, stage by stage" in html
    plan = html[html.index("plan-heading") :]
    assert "Coding round" in plan and "Screen<span" not in plan


def test_dashboard_without_stages_keeps_the_interview_day(alice_client, alice, rounds):
    day = timezone.localdate() + timedelta(days=30)
    Profile.objects.create(user=alice, interview_date=day)
    html = _dashboard(alice_client)
    assert "Technical screen (your interview date)" in html
    assert "predicted for" not in html


def test_dashboard_query_count_is_the_same_for_one_or_four_loops(alice_client, alice, rounds):
    today = timezone.localdate()
    question = make_question(slug="q", rounds=["coding"], category="coding")
    Card.objects.create(
        user=alice,
        question=question,
        reps=1,
        state=2,
        stability=3,
        difficulty=5,
        last_review=NOW,
        due=datetime.now(UTC) + timedelta(days=1),
    )
    loop(alice, Coding=("coding", today + timedelta(days=4), ""))
    _dashboard(alice_client)  # warms the cached pool sizes and finished days
    with CaptureQueriesContext(connection) as first:
        _dashboard(alice_client)
    for n in range(3):
        loop(
            alice,
            f"Company {n}",
            Screen=("technical-screen", today + timedelta(days=6 + n), ""),
            Coding=("coding", today + timedelta(days=9 + n), "waiting"),
            Design=("system-design", today + timedelta(days=10 + n), ""),
        )
    with CaptureQueriesContext(connection) as four:
        html = _dashboard(alice_client)
    assert len(four) == len(first)
    assert "ML system design" in html  # a stage's round outside the masters track
