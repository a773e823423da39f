import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from questions import loops
from questions.models import InterviewLoop, Profile, Stage, Track
from tests.conftest import PASSWORD
from tests.factories import seed_loop

URL = reverse("questions:onboarding")


@pytest.fixture(autouse=True)
def _loop(db):
    seed_loop()


def _rows(track_slug: str, dates: dict[int, str] | None = None, outcomes=None) -> dict:
    """The stage rows the page shows for a track, as the browser would post them back."""
    dates, outcomes = dates or {}, outcomes or {}
    drafts = loops.default_stages(Track.objects.get(slug=track_slug))
    data = {"stages-TOTAL_FORMS": len(drafts), "stages-INITIAL_FORMS": len(drafts)}
    for i, draft in enumerate(drafts):
        data |= {
            f"stages-{i}-name": draft.name,
            f"stages-{i}-round": draft.round.slug,
            f"stages-{i}-date": dates.get(i, ""),
            f"stages-{i}-outcome": outcomes.get(i, ""),
        }
    return data


def _post(client, track="masters", company="Pinterest", minutes=45, **rows):
    data = {"track": track, "company": company, "minutes_per_day": minutes, **_rows(track, **rows)}
    return client.post(URL, data)


def _day(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def test_default_stages_follow_the_track():
    masters = [s.round.slug for s in loops.default_stages(Track.objects.get(slug="masters"))]
    phd = [s.round.slug for s in loops.default_stages(Track.objects.get(slug="phd"))]
    assert masters == ["screen", "technical-screen", "coding", "ml-depth"]
    assert phd == [*masters, "system-design", "research-presentation", "research-directions"]
    assert loops.default_stages(None)[0].name == "Application and recruiter screen"


def test_signup_lands_on_the_welcome_steps(client):
    response = client.post(
        reverse("signup"),
        {"username": "dana", "email": "", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302 and response["Location"] == URL


def test_the_page_is_prefilled_from_the_banks_loop_and_get_writes_nothing(
    alice_client, alice, django_assert_max_num_queries
):
    with django_assert_max_num_queries(9):
        response = alice_client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="Pinterest"' in page
    assert 'value="Coding interviews"' in page
    assert 'value="Research presentation"' not in page
    assert 'value="30"' in page
    assert not Profile.objects.filter(user=alice).exists()
    assert not InterviewLoop.objects.exists()


def test_save_creates_the_loop_with_two_dated_stages_and_the_settings(alice_client, alice):
    screen, coding = _day(5), _day(30)
    response = _post(
        alice_client, track="phd", minutes=45, dates={0: screen.isoformat(), 2: coding.isoformat()}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
    profile = Profile.objects.get(user=alice)
    assert (profile.track.slug, profile.minutes_per_day) == ("phd", 45)
    assert profile.onboarded_at is not None
    loop = InterviewLoop.objects.get(user=alice)
    assert loop.company == "Pinterest" and loop.archived_at is None
    stages = list(loop.stages.all())
    assert [s.round.slug for s in stages][:3] == ["screen", "technical-screen", "coding"]
    assert len(stages) == 7
    assert [(s.position, s.date) for s in stages[:3]] == [(0, screen), (1, None), (2, coding)]
    assert [s.status for s in stages[:3]] == ["scheduled", "not-scheduled", "scheduled"]


def test_a_stage_can_be_left_out_and_renamed(alice_client, alice):
    data = {"track": "masters", "company": "Acme", "minutes_per_day": 30, **_rows("masters")}
    data |= {"stages-1-DELETE": "on", "stages-0-name": "Call with the recruiter"}
    assert alice_client.post(URL, data).status_code == 302
    stages = list(InterviewLoop.objects.get(user=alice).stages.all())
    assert [s.name for s in stages] == [
        "Call with the recruiter",
        "Coding interviews",
        "ML-specific interviews",
    ]
    assert [s.position for s in stages] == [0, 1, 2]


def test_skip_marks_onboarding_done_with_the_defaults(alice_client, alice):
    response = alice_client.post(URL, {"action": "skip"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    profile = Profile.objects.get(user=alice)
    assert profile.onboarded_at is not None
    assert (profile.track, profile.minutes_per_day) == (None, 30)
    assert not InterviewLoop.objects.exists()


def test_a_date_more_than_two_years_ahead_is_refused_and_everything_typed_is_kept(
    alice_client, alice
):
    far = _day(800).isoformat()
    soon = _day(3).isoformat()
    response = _post(alice_client, company="Acme Labs", minutes=50, dates={0: soon, 1: far})
    assert response.status_code == 400
    page = response.content.decode()
    assert "more than two years ahead" in page
    assert 'value="Acme Labs"' in page and 'value="50"' in page
    assert f'value="{far}"' in page and f'value="{soon}"' in page
    assert not InterviewLoop.objects.exists()
    assert not Profile.objects.filter(user=alice).exists()


def test_a_past_date_needs_how_it_went(alice_client, alice):
    past = _day(-3).isoformat()
    response = _post(alice_client, dates={0: past})
    assert response.status_code == 400
    assert "This day has passed" in response.content.decode()
    assert _post(alice_client, dates={0: past}, outcomes={0: "passed"}).status_code == 302
    stage = Stage.objects.get(loop__user=alice, position=0)
    assert (stage.status, stage.date.isoformat()) == ("passed", past)


def test_minutes_a_day_out_of_range_is_refused(alice_client):
    response = _post(alice_client, minutes=2)
    assert response.status_code == 400
    assert not InterviewLoop.objects.exists()


def test_update_stages_refills_them_for_the_new_track_and_keeps_typed_dates(alice_client):
    date = _day(9).isoformat()
    data = {"track": "phd", "company": "Acme", "minutes_per_day": 40, "action": "update"}
    data |= _rows("masters", dates={2: date})
    response = alice_client.post(URL, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="Research directions"' in page and f'value="{date}"' in page
    assert 'value="Acme"' in page and 'value="40"' in page
    assert not InterviewLoop.objects.exists()
    partial = alice_client.post(URL, data, headers={"HX-Request": "true"})
    assert partial.content.decode().lstrip().startswith('<fieldset id="stages"')
    assert 'value="Research directions"' in partial.content.decode()


def test_a_user_with_a_loop_is_offered_another_not_a_duplicate(alice_client, alice):
    InterviewLoop.objects.create(user=alice, company="Pinterest")
    page = alice_client.get(URL).content.decode()
    assert "Add another loop" in page and 'value="Pinterest"' not in page
    response = _post(alice_client, company="pinterest")
    assert response.status_code == 400
    assert "You already have a pinterest loop" in response.content.decode()
    assert _post(alice_client, company="Stripe").status_code == 302
    assert list(alice.loops.values_list("company", flat=True)) == ["Pinterest", "Stripe"]


def test_settings_has_minutes_a_day(alice_client, alice):
    response = alice_client.post(
        reverse("questions:settings"),
        {"desired_retention": 0.9, "new_per_day": 10, "minutes_per_day": 75, "timezone": ""},
    )
    assert response.status_code == 302
    assert Profile.objects.get(user=alice).minutes_per_day == 75
