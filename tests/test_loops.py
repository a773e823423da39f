import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from questions import loops
from questions.models import (
    AskedQuestion,
    InterviewLoop,
    Profile,
    Question,
    Round,
    Stage,
    Track,
)
from tests.factories import seed_loop

LOOPS = reverse("questions:loops")
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _loop(db):
    seed_loop()


def _day(days: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def _make_loop(user, company="Pinterest", track="masters") -> InterviewLoop:
    drafts = loops.default_stages(Track.objects.get(slug=track))
    drafts[0].date, drafts[2].date = _day(5), _day(20)
    return loops.create_loop(user, company, drafts)


@pytest.fixture
def loop(alice):
    return _make_loop(alice)


def _stages(loop) -> list[Stage]:
    return list(loop.stages.select_related("round"))


# --- The page ---------------------------------------------------------------------------------


def test_the_tracker_shows_each_stage_in_order_with_its_status_and_the_next_one(alice_client, loop):
    screen, technical, coding, _depth = _stages(loop)
    technical.outcome = Stage.Outcome.WAITING
    technical.save()
    screen.outcome, screen.date = Stage.Outcome.PASSED, _day(-3)
    screen.save()
    page = alice_client.get(LOOPS).content.decode()
    assert page.index("Application and recruiter screen") < page.index("Technical screen")
    assert page.index("Technical screen") < page.index("ML-specific interviews")
    assert "Passed" in page and "3 days ago" in page
    assert "Done, waiting to hear" in page
    coding_day = f"{coding.date.day} {coding.date:%b}"
    assert f"Scheduled for {coding_day}" in page and "in 20 days" in page
    assert "Not scheduled" in page
    assert f"Next:</strong> Coding interviews on {coding_day} (in 20 days)" in page
    assert f'class="stage stage-scheduled stage-next" id="stage-{coding.pk}"' in page


def test_when_says_today_tomorrow_and_days():
    today = datetime.date(2027, 1, 10)
    assert [loops.when(today + datetime.timedelta(days=d), today) for d in (0, 1, -1, 5, -3)] == [
        "today",
        "tomorrow",
        "yesterday",
        "in 5 days",
        "3 days ago",
    ]
    assert loops.when(None, today) == ""


def _tracker_queries(client, django_assert_num_queries, expected=None) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(LOOPS).status_code == 200
    return len(queries)


def test_the_tracker_reads_a_fixed_number_of_queries_for_1_or_5_loops(
    alice_client, alice, django_assert_num_queries
):
    def fill(loop):
        for stage in loop.stages.all():
            AskedQuestion.objects.create(stage=stage, text=f"Asked in {stage.name}")
        asked = AskedQuestion.objects.filter(stage__loop=loop).first()
        loops.make_practice_question(asked)

    fill(_make_loop(alice, "First"))
    one = _tracker_queries(alice_client, django_assert_num_queries)
    for n in range(4):
        fill(_make_loop(alice, f"Company {n}", track="phd"))
    InterviewLoop.objects.filter(company="Company 0").update(archived_at=timezone.now())
    with django_assert_num_queries(one):
        page = alice_client.get(LOOPS).content.decode()
    assert page.count('class="loop card"') == 4
    assert "Archived loops (1)" in page


def test_get_writes_nothing(alice_client, alice, loop, django_assert_num_queries):
    stage = _stages(loop)[0]
    asked = AskedQuestion.objects.create(stage=stage, text="Why L1?")
    for url in (
        LOOPS,
        reverse("questions:loop_new"),
        reverse("questions:loop_delete", args=[loop.pk]),
        reverse("questions:stage_new", args=[loop.pk]),
        reverse("questions:stage_edit", args=[stage.pk]),
        reverse("questions:stage_delete", args=[stage.pk]),
    ):
        assert alice_client.get(url).status_code == 200
    for url in (
        reverse("questions:loop_rename", args=[loop.pk]),
        reverse("questions:loop_archive", args=[loop.pk]),
        reverse("questions:stage_move", args=[stage.pk]),
        reverse("questions:asked_add", args=[stage.pk]),
        reverse("questions:asked_practice", args=[asked.pk]),
        reverse("questions:asked_delete", args=[asked.pk]),
    ):
        assert alice_client.get(url).status_code == 405
    assert InterviewLoop.objects.count() == 1 and loop.stages.count() == 4
    assert AskedQuestion.objects.get().question is None
    assert not Profile.objects.exists()


# --- Loops ------------------------------------------------------------------------------------


def test_add_a_loop_from_the_banks_stages_or_empty(alice_client, alice):
    Profile.objects.create(user=alice, track=Track.objects.get(slug="phd"))
    url = reverse("questions:loop_new")
    response = alice_client.post(url, {"company": "  Stripe  ", "start": "bank"})
    assert response.status_code == 302
    stripe = InterviewLoop.objects.get(company="Stripe")
    assert stripe.stages.count() == 7
    assert alice_client.post(url, {"company": "Acme", "start": "empty"}).status_code == 302
    assert InterviewLoop.objects.get(company="Acme").stages.count() == 0
    refused = alice_client.post(url, {"company": "stripe", "start": "bank"})
    assert refused.status_code == 400 and 'value="stripe"' in refused.content.decode()
    assert alice.loops.count() == 2


def test_rename_a_loop_and_a_clash_keeps_the_typed_name(alice_client, alice, loop):
    _make_loop(alice, "Stripe")
    url = reverse("questions:loop_rename", args=[loop.pk])
    prefix = f"loop{loop.pk}-company"
    response = alice_client.post(url, {prefix: "STRIPE"})
    assert response.status_code == 400
    assert "You already have a STRIPE loop" in response.content.decode()
    assert 'value="STRIPE"' in response.content.decode()
    response = alice_client.post(url, {prefix: "Pinterest Labs"}, headers=HTMX)
    assert response.status_code == 200
    assert "Renamed Pinterest to Pinterest Labs." in response.content.decode()
    assert (
        response.content.decode()
        .lstrip()
        .startswith(f'<section class="loop card" id="loop-{loop.pk}"')
    )
    loop.refresh_from_db()
    assert loop.company == "Pinterest Labs"


def test_archive_and_unarchive(alice_client, loop):
    url = reverse("questions:loop_archive", args=[loop.pk])
    assert alice_client.post(url, {"archive": "1"}).status_code == 302
    loop.refresh_from_db()
    assert loop.archived_at is not None
    page = alice_client.get(LOOPS).content.decode()
    assert "Archived loops (1)" in page and 'class="loop card"' not in page
    alice_client.post(url, {"archive": "0"})
    loop.refresh_from_db()
    assert loop.archived_at is None


def test_unarchiving_refuses_a_second_active_loop_of_the_same_company(alice_client, alice, loop):
    loop.archived_at = timezone.now()
    loop.save()
    _make_loop(alice, "PINTEREST")
    response = alice_client.post(
        reverse("questions:loop_archive", args=[loop.pk]), {"archive": "0"}, follow=True
    )
    assert "You already have an active Pinterest loop" in response.content.decode()
    loop.refresh_from_db()
    assert loop.archived_at is not None


def test_delete_a_loop_asks_first_and_keeps_practice_questions(alice_client, alice, loop):
    asked = AskedQuestion.objects.create(stage=_stages(loop)[0], text="Tell me about yourself")
    question, _ = loops.make_practice_question(asked)
    url = reverse("questions:loop_delete", args=[loop.pk])
    assert "cannot be undone" in alice_client.get(url).content.decode()
    assert alice_client.post(url).status_code == 302
    assert not InterviewLoop.objects.exists() and not Stage.objects.exists()
    assert Question.objects.filter(pk=question.pk, owner=alice).exists()


# --- Stages -----------------------------------------------------------------------------------


def test_add_edit_and_delete_a_stage(alice_client, loop):
    response = alice_client.post(
        reverse("questions:stage_new", args=[loop.pk]),
        {"name": "Team matching", "round": "", "date": _day(40).isoformat(), "outcome": ""},
    )
    assert response.status_code == 302
    added = loop.stages.last()
    assert (added.name, added.round, added.position) == ("Team matching", None, 4)

    url = reverse("questions:stage_edit", args=[added.pk])
    data = {"name": "Team match", "round": "system-design", "date": "", "outcome": "waiting"}
    assert alice_client.post(url, data | {"notes": "Two teams <b>"}).status_code == 302
    added.refresh_from_db()
    assert (added.name, added.round.slug, added.status) == (
        "Team match",
        "system-design",
        "waiting",
    )
    assert "Two teams &lt;b&gt;" in alice_client.get(LOOPS).content.decode()

    assert alice_client.post(reverse("questions:stage_delete", args=[added.pk])).status_code == 302
    assert loop.stages.count() == 4


def test_the_edit_form_starts_with_the_stages_round_and_saving_it_unchanged_keeps_it(
    alice_client, loop
):
    stage = _stages(loop)[2]
    url = reverse("questions:stage_edit", args=[stage.pk])
    form = alice_client.get(url).context["form"]
    assert '<option value="coding" selected>' in str(form["round"])
    data = {k: v for k, v in form.initial.items() if v is not None} | {"outcome": "passed"}
    assert alice_client.post(url, data).status_code == 302
    stage.refresh_from_db()
    assert (stage.round.slug, stage.outcome, stage.date) == ("coding", "passed", _day(20))


def test_editing_a_stage_refuses_a_bad_date_and_keeps_the_input(alice_client, loop):
    stage = _stages(loop)[1]
    url = reverse("questions:stage_edit", args=[stage.pk])
    far = _day(900).isoformat()
    data = {"name": "Renamed", "round": "coding", "date": far, "outcome": "", "notes": "keep me"}
    response = alice_client.post(url, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "more than two years ahead" in page
    assert 'value="Renamed"' in page and "keep me" in page and f'value="{far}"' in page
    past = alice_client.post(url, data | {"date": _day(-1).isoformat()})
    assert "This day has passed" in past.content.decode()
    stage.refresh_from_db()
    assert stage.name == "Technical screen" and stage.date is None


def test_move_a_stage_up_and_down(alice_client, loop):
    screen, technical, coding, depth = _stages(loop)
    url = reverse("questions:stage_move", args=[coding.pk])
    assert alice_client.post(url, {"direction": "up"}).status_code == 302
    assert [s.pk for s in _stages(loop)] == [screen.pk, coding.pk, technical.pk, depth.pk]
    response = alice_client.post(url, {"direction": "up"}, headers=HTMX)
    assert "Moved “Coding interviews” up." in response.content.decode()
    assert [s.pk for s in _stages(loop)] == [coding.pk, screen.pk, technical.pk, depth.pk]
    alice_client.post(url, {"direction": "up"})  # already first: nothing moves
    assert [s.pk for s in _stages(loop)] == [coding.pk, screen.pk, technical.pk, depth.pk]
    move_last = reverse("questions:stage_move", args=[depth.pk])
    alice_client.post(move_last, {"direction": "down"})
    assert [s.position for s in _stages(loop)] == [0, 1, 2, 3]
    alice_client.post(url, {"direction": "down"})
    assert [s.pk for s in _stages(loop)] == [screen.pk, coding.pk, technical.pk, depth.pk]


# --- Questions I was asked --------------------------------------------------------------------


def test_add_an_asked_question_and_a_too_long_one_keeps_the_text(alice_client, loop):
    stage = _stages(loop)[2]
    url = reverse("questions:asked_add", args=[stage.pk])
    field = f"stage{stage.pk}-text"
    response = alice_client.post(url, {field: "Reverse a linked list <script>"}, headers=HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Reverse a linked list &lt;script&gt;" in page and "<script>" not in page
    too_long = "x" * 5001
    response = alice_client.post(url, {field: too_long})
    assert response.status_code == 400 and too_long in response.content.decode()
    assert list(stage.asked.values_list("text", flat=True)) == ["Reverse a linked list <script>"]


def test_making_a_practice_question_creates_one_private_question_exactly_once(
    alice_client, alice, loop
):
    stage = _stages(loop)[2]  # coding interviews
    text = "Implement k-means from scratch\n\nWith **numpy** only.\n## and explain it"
    asked = AskedQuestion.objects.create(stage=stage, text=text)
    url = reverse("questions:asked_practice", args=[asked.pk])
    response = alice_client.post(url, headers=HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert "In your questions:" in page and "write its answer" in page
    assert alice_client.post(url).status_code == 302
    alice_client.post(url, headers=HTMX)
    question = Question.objects.get(owner=alice)
    assert question.visibility == Question.Visibility.PRIVATE
    assert question.kind == "flashcard"
    assert question.title == "Implement k-means from scratch"
    assert question.slug.startswith(f"u{alice.pk}-")
    assert [r.slug for r in question.rounds.all()] == ["coding"]
    assert question.category.slug == "coding"
    assert sorted(t.slug for t in question.tags.all()) == ["asked-in-interview", "pinterest"]
    assert "<strong>numpy</strong>" in question.prompt_html
    assert question.answer == loops.ANSWER_PLACEHOLDER
    assert [p.text for p in question.rubric_points.all()] == [loops.RUBRIC_PLACEHOLDER]
    asked.refresh_from_db()
    assert asked.question == question
    edit = alice_client.get(reverse("questions:my_edit", args=[question.slug]))
    assert edit.status_code == 200


def test_a_stage_without_a_round_uses_the_chosen_one_or_the_tracks_first(alice_client, alice, loop):
    stage = loops.add_stage(loop, Stage(name="Hiring committee"))
    first = AskedQuestion.objects.create(stage=stage, text="What is your visa status?")
    second = AskedQuestion.objects.create(stage=stage, text="Explain A/B tests")
    alice_client.post(
        reverse("questions:asked_practice", args=[second.pk]), {"round": "technical-screen"}
    )
    alice_client.post(reverse("questions:asked_practice", args=[first.pk]))
    first.refresh_from_db()
    second.refresh_from_db()
    assert [r.slug for r in second.question.rounds.all()] == ["technical-screen"]
    assert second.question.category.slug == "ml-fundamentals"
    assert [r.slug for r in first.question.rounds.all()] == ["screen"]
    assert first.question.category.slug == "behavioural"


def test_a_long_first_line_is_cut_to_a_title(alice):
    loop = _make_loop(alice, "Café Ünïcode!")
    asked = AskedQuestion.objects.create(stage=_stages(loop)[0], text="word " * 100)
    question, made = loops.make_practice_question(asked)
    assert made and len(question.title) <= 200 and question.title.endswith("…")
    assert "cafe-unicode" in [t.slug for t in question.tags.all()]
    assert loops.make_practice_question(asked) == (question, False)


def test_removing_an_asked_question(alice_client, loop):
    asked = AskedQuestion.objects.create(stage=_stages(loop)[0], text="Oops")
    alice_client.post(reverse("questions:asked_delete", args=[asked.pk]))
    assert not AskedQuestion.objects.exists()


# --- Ownership --------------------------------------------------------------------------------


def test_charlie_gets_404_on_every_endpoint_with_alices_ids(client, alice, charlie, loop):
    stage = _stages(loop)[0]
    asked = AskedQuestion.objects.create(stage=stage, text="Why L1?")
    client.force_login(charlie)
    gets = [
        reverse("questions:loop_delete", args=[loop.pk]),
        reverse("questions:stage_new", args=[loop.pk]),
        reverse("questions:stage_edit", args=[stage.pk]),
        reverse("questions:stage_delete", args=[stage.pk]),
    ]
    posts = [
        *gets,
        reverse("questions:loop_rename", args=[loop.pk]),
        reverse("questions:loop_archive", args=[loop.pk]),
        reverse("questions:stage_move", args=[stage.pk]),
        reverse("questions:asked_add", args=[stage.pk]),
        reverse("questions:asked_practice", args=[asked.pk]),
        reverse("questions:asked_delete", args=[asked.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    data = {
        f"loop{loop.pk}-company": "Mine",
        "name": "Mine",
        "direction": "down",
        f"stage{stage.pk}-text": "Mine",
        "archive": "1",
    }
    for url in posts:
        assert client.post(url, data).status_code == 404, url
    assert "Pinterest" not in client.get(LOOPS).content.decode()
    loop.refresh_from_db()
    assert (loop.company, loop.archived_at, loop.stages.count()) == ("Pinterest", None, 4)
    assert next(s.pk for s in _stages(loop)) == stage.pk
    asked.refresh_from_db()
    assert asked.question is None and AskedQuestion.objects.count() == 1
    assert not Question.objects.exists()


# --- Export -----------------------------------------------------------------------------------


def test_the_data_export_includes_loops_stages_and_asked_questions(alice_client, alice, loop):
    stage = _stages(loop)[0]
    asked = AskedQuestion.objects.create(stage=stage, text="Why this team?")
    question, _ = loops.make_practice_question(asked)
    _make_loop(alice, "Other").delete()
    data = json.loads(alice_client.get(reverse("questions:my_export_data")).content)
    [exported] = data["loops"]
    assert exported["company"] == "Pinterest" and exported["archived_at"] is None
    assert [s["round"] for s in exported["stages"]] == [
        "screen",
        "technical-screen",
        "coding",
        "ml-depth",
    ]
    assert exported["stages"][0]["date"] == _day(5).isoformat()
    assert exported["stages"][0]["asked"][0]["text"] == "Why this team?"
    assert exported["stages"][0]["asked"][0]["question"] == question.slug
    assert Round.objects.filter(slug="screen").exists()
