"""The dashboard says which moment each readiness figure is for: now, or the interview day."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from questions import readiness, scheduling
from questions.models import Profile
from tests.factories import make_question, seed_loop

DASHBOARD = reverse("questions:dashboard")


@pytest.fixture
def practised(alice):
    seed_loop()
    now = timezone.now()
    for i in range(3):
        question = make_question(slug=f"ts-{i}", rounds=["technical-screen"])
        for seq in range(3):
            scheduling.record_review(
                alice,
                question,
                sequence=seq,
                rating=3,
                now=now - timedelta(days=20 - 6 * seq),
                desired_retention=0.9,
            )
    readiness.record_snapshots(alice, question, now - timedelta(days=8))
    make_question(slug="ts-new", rounds=["technical-screen"])
    return now


def _technical_screen(user, interview_date):
    profile = Profile.for_user(user)
    rounds = [r for r in readiness.track_rounds(profile) if r.slug == "technical-screen"]
    return readiness.compute(user, rounds, timezone.now(), interview_date)[0]


def test_round_figure_and_legend_name_their_moment_with_an_interview_date(
    alice_client, alice, practised
):
    day = timezone.localdate() + timedelta(days=40)
    Profile.objects.create(user=alice, interview_date=day)
    item = _technical_screen(alice, day)
    on_the_day, now = round(item.score), round(100 * item.recall_now)
    assert on_the_day < now  # recall fades by the interview: the two figures differ
    html = alice_client.get(DASHBOARD).content.decode()
    label = f"on {day.day} {day:%b}, your interview day"
    assert f"<strong>{on_the_day}</strong>/100 {label}" in html
    assert f"· {now} now · practised 3 of 4" in html
    assert f"Technical screen: {now} now</li>" in html
    assert "the round figures above are for each round's own day" in html


def test_without_an_interview_date_every_figure_is_for_now(alice_client, alice, practised):
    item = _technical_screen(alice, None)
    now = round(100 * item.recall_now)
    html = alice_client.get(DASHBOARD).content.decode()
    assert f"<strong>{now}</strong>/100 now" in html
    assert f"Technical screen: {now} now</li>" in html
    assert "your interview day" not in html


def test_a_round_not_practised_has_no_figure_in_the_legend(alice_client, alice, practised):
    html = alice_client.get(DASHBOARD).content.decode()
    assert "Coding interviews</li>" in html
