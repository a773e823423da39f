"""The mock debrief: what the machine grades per kind, the score, the ratings (each question
scheduled once), the round summary, and the list of past mocks with their scores."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from questions import mock_grading as grading
from questions import review, runner
from questions.models import Card, CodeRun, MockInterview, MockItem, Profile, Review, Round
from tests.factories import make_question, seed_loop

pytestmark = pytest.mark.django_db

CODE = dict(
    kind="coding",
    category="coding",
    rounds=["coding"],
    language="python",
    starter="def f():\n    pass\n",
    solution="def f():\n    return 1\n",
    tests="def test_one():\n    assert f() == 1\n",
)
REVIEW = dict(CODE, kind="review", starter="def f():\n    return 2\n")
CHOICE = dict(
    kind="choice", choices=[("Right one", True), ("Wrong one", False), ("Also right", True)]
)


@pytest.fixture(autouse=True)
def loop(db):
    seed_loop()


def over_mock(user, round_slug="ml-depth", fmt="") -> MockInterview:
    """A mock whose 45 minutes ran out five minutes ago (the debrief shows)."""
    now = datetime.now(UTC)
    return MockInterview.objects.create(
        user=user,
        round=Round.objects.get(slug=round_slug),
        format=fmt,
        started_at=now - timedelta(minutes=50),
        ends_at=now - timedelta(minutes=5),
        current_position=0,
        current_since=now - timedelta(minutes=50),
    )


def add_item(mock, question, position, **fields) -> MockItem:
    return MockItem.objects.create(mock=mock, question=question, position=position, **fields)


def result(passed: int, total: int, error: str = "") -> dict:
    tests = [
        {"name": f"test_{i}", "passed": i < passed, "message": "" if i < passed else "assert 2 == 1",
         "ms": 1.5, "details": {}}
        for i in range(total)
    ]  # fmt: skip
    run = runner.RunResult(tests=[runner.TestResult(**t) for t in tests], error=error, wall_ms=12.0)
    return {**run.as_dict(), "stdout": "", "stderr": ""}


def catch(verdict: str) -> dict:
    on_given = runner.RunResult(tests=[runner.TestResult("test_mine", verdict != "caught")])
    on_solution = runner.RunResult(tests=[runner.TestResult("test_mine", True)])
    return review.CatchResult(verdict, on_given, on_solution).as_dict()


def add_run(item, kind, stored=None, status=CodeRun.Status.DONE) -> CodeRun:
    return CodeRun.objects.create(
        user=item.mock.user, question=item.question, mock_item=item, kind=kind, code="x",
        status=status, result=stored,
    )  # fmt: skip


def graded(item) -> grading.Outcome:
    item = (
        MockItem.objects.select_related("question")
        .prefetch_related("question__choices", "question__rubric_points")
        .get(pk=item.pk)
    )
    return grading.grade(item, grading.runs_by_item(item.mock).get(item.pk, []))


def detail(mock):
    return reverse("questions:mock_detail", args=[mock.pk])


def rate(mock):
    return reverse("questions:mock_rate", args=[mock.pk])


# --- Grading per kind ----------------------------------------------------------------------


def test_choice_is_correct_only_with_exactly_the_correct_picks(alice):
    mock = over_mock(alice)
    question = make_question(**CHOICE)
    right = graded(add_item(mock, question, 0, picks=[2, 0]))
    assert right.success and right.value == 1.0 and right.summary == "Correct: you picked A and C."
    assert right.suggested == 3  # Good
    half = graded(add_item(mock, question, 1, picks=[0, 1]))
    assert not half.success and half.value == 0.0
    assert half.wrong_picks == ["B"] and half.missed == ["C"]
    assert half.summary == "Wrong: you picked A and B; the answer is A and C."
    assert half.suggested == 1  # Again
    none = graded(add_item(mock, question, 2, picks=[]))
    assert none.summary == "Not answered: no option picked; the answer is A and C."
    assert graded(add_item(mock, question, 3, picks=[7, "A"])).picked == []  # not its options


def test_coding_counts_only_the_last_finished_submit_of_this_item(alice):
    mock = over_mock(alice, "coding")
    question = make_question(**CODE)
    item = add_item(mock, question, 0)
    other = add_item(mock, make_question(**CODE), 1)
    add_run(item, CodeRun.Kind.SUBMIT, result(4, 4))
    add_run(item, CodeRun.Kind.SUBMIT, result(3, 4))
    add_run(item, CodeRun.Kind.RUN, result(1, 1))  # examples only: not a submission
    add_run(item, CodeRun.Kind.SUBMIT, None, status=CodeRun.Status.FAILED)
    add_run(other, CodeRun.Kind.SUBMIT, result(4, 4))
    # A passing Submit outside the mock (practice) does not count either.
    CodeRun.objects.create(user=alice, question=question, kind="submit", code="x",
                           status="done", result=result(4, 4))  # fmt: skip
    outcome = graded(item)
    assert [s.status for s in outcome.submissions] == [
        "4 of 4 tests passed", "3 of 4 tests passed", "The runner could not run it.",
    ]  # fmt: skip
    assert not outcome.success and outcome.value == 0.75
    assert outcome.summary == "Not solved: 3 of 4 tests passed on your last Submit."
    assert outcome.suggested == 2  # Hard: some tests passed
    assert graded(other).success and graded(other).summary.startswith("Solved: 4 of 4")


def test_coding_never_submitted_is_not_solved(alice):
    mock = over_mock(alice, "coding")
    item = add_item(mock, make_question(**CODE), 0, code="def f():\n    return 1\n")
    add_run(item, CodeRun.Kind.RUN, result(1, 1))
    add_run(item, CodeRun.Kind.SUBMIT, None, status=CodeRun.Status.QUEUED)
    outcome = graded(item)
    assert outcome.success is False and outcome.value == 0.0 and outcome.suggested == 1
    assert outcome.summary == "Not solved: no Submit finished during the interview."
    assert outcome.submissions[0].status.startswith("Still running")


def test_review_is_caught_by_the_last_catch_and_fixed_by_the_last_submit(alice):
    mock = over_mock(alice, "coding")
    both = add_item(mock, make_question(**REVIEW), 0)
    add_run(both, CodeRun.Kind.CATCH, catch("misses"))
    add_run(both, CodeRun.Kind.CATCH, catch("caught"))
    add_run(both, CodeRun.Kind.SUBMIT, result(1, 1))
    outcome = graded(both)
    assert outcome.success and outcome.value == 1.0 and outcome.suggested == 3
    assert outcome.summary == "Your test caught the bug; your fix passed 1 of 1 tests."

    caught_only = add_item(mock, make_question(**REVIEW), 1)
    add_run(caught_only, CodeRun.Kind.CATCH, catch("caught"))
    add_run(caught_only, CodeRun.Kind.SUBMIT, result(0, 1))
    outcome = graded(caught_only)
    assert outcome.value == 0.5 and outcome.suggested == 2 and not outcome.success

    lost = add_item(mock, make_question(**REVIEW), 2)
    add_run(lost, CodeRun.Kind.CATCH, catch("caught"))
    add_run(lost, CodeRun.Kind.CATCH, catch("misses"))  # the last verdict counts
    outcome = graded(lost)
    assert outcome.value == 0.0 and outcome.suggested == 1
    assert outcome.summary == "Your test did not catch the bug; no fix submitted."


def test_flashcards_and_design_are_self_graded(alice):
    mock = over_mock(alice)
    for position, kind in enumerate(["flashcard", "design"]):
        outcome = graded(add_item(mock, make_question(kind=kind), position))
        assert not outcome.graded and outcome.value is None and outcome.suggested is None


# --- The score -------------------------------------------------------------------------------


def test_score_formula():
    assert grading.score([0.0, 1.0]) == 50.0
    assert grading.score([2 / 3] * 3) == pytest.approx(66.7)
    assert grading.score([]) == 0.0


def test_score_mixes_machine_grades_and_self_ratings_over_main_questions_only(alice):
    mock = over_mock(alice)
    choice = add_item(mock, make_question(**CHOICE), 0, picks=[0, 2])  # 1
    coding = add_item(mock, make_question(**CODE), 1)  # 3/4
    add_run(coding, CodeRun.Kind.SUBMIT, result(3, 4))
    rev = add_item(mock, make_question(**REVIEW), 2)  # caught, not fixed: 1/2
    add_run(rev, CodeRun.Kind.CATCH, catch("caught"))
    flash = add_item(mock, make_question(), 3)  # rated Good: 2/3
    design = add_item(mock, make_question(kind="design"), 4)  # rated Hard: 1/3
    add_item(mock, make_question(), 5, follow_up_of=flash)  # a follow-up: never in the score
    main = [choice, coding, rev, flash, design]
    outcomes = {item.pk: graded(item) for item in main}
    # Ratings of auto-graded questions do not change their share: Easy on a wrong answer is 0.
    ratings = {0: 1, 1: 4, 2: 4, 3: 3, 4: 2}
    expected = round(100 * (1 + 0.75 + 0.5 + 2 / 3 + 1 / 3) / 5, 1)
    assert grading.mock_score(main, outcomes, ratings) == expected == 65.0


# --- The debrief page ------------------------------------------------------------------------


def mixed_mock(alice):
    """A finished mock with one question of each kind and a follow-up shown, one hidden."""
    mock = over_mock(alice)
    flash = add_item(mock, make_question(slug="flash", title="Flash question"), 0,
                     answer="My <b>flash</b> answer", seconds_spent=300,
                     follow_ups_shown_at=datetime.now(UTC))  # fmt: skip
    choice = add_item(mock, make_question(slug="pick", title="Pick question", **CHOICE), 1,
                      picks=[1], seconds_spent=60)  # fmt: skip
    coding = add_item(mock, make_question(slug="code", title="Code question", **CODE), 2,
                      code="def f():\n    return 3\n", seconds_spent=900)  # fmt: skip
    add_run(coding, CodeRun.Kind.SUBMIT, result(0, 1))
    design = add_item(mock, make_question(slug="design", title="Design question", kind="design"),
                      3, sections={"data": "Logs of clicks", "serving": ""}, seconds_spent=1200)  # fmt: skip
    add_item(mock, make_question(slug="shown-fu", title="Shown follow-up"), 4, follow_up_of=flash,
             answer="Drilled down")  # fmt: skip
    add_item(mock, make_question(slug="hidden-fu", title="Hidden follow-up"), 5,
             follow_up_of=choice)  # fmt: skip
    return mock, {"flash": flash, "choice": choice, "coding": coding, "design": design}


def test_debrief_shows_each_answer_by_kind_beside_the_model_answer(alice_client, alice):
    mock, _ = mixed_mock(alice)
    response = alice_client.get(detail(mock))
    html = response.content.decode()
    assert "My &lt;b&gt;flash&lt;/b&gt; answer" in html  # the user's text is never marked safe
    assert "Model answer" in html and "The answer to" in html
    # Choice: every option with its letter and a mark; the outcome in words.
    assert html.count('class="choice-letter"') == 3
    assert "✗ your pick, wrong" in html and html.count("correct, not picked") == 2
    assert "Wrong: you picked B; the answer is A and C." in html
    # Coding: each submission, its tests, the outcome.
    assert "Not solved: 0 of 1 tests passed on your last Submit." in html
    assert "0 of 1 tests passed" in html and "test_0" in html
    # Design: the user's sections under the headings.
    assert "Requirements and scale" in html and "Logs of clicks" in html
    assert "Nothing written." in html
    # Time spent per question, and the summary chart.
    assert "Time spent: <strong>15 min</strong>" in html
    assert 'class="chart chart-mock chart-time"' in html and "Time per question" in html
    assert "How the score is made" in html and "Again 0, Hard 1/3, Good 2/3, Easy 1" in html
    # The shown follow-up is there to rate; the hidden one is not.
    assert "Follow-up: Shown follow-up" in html and "Drilled down" in html
    assert "Hidden follow-up" not in html and 'name="rating-5"' not in html
    # Rating radios in words, the suggested one marked but not chosen for the user.
    assert html.count('name="rating-') == 5 * 4
    assert "Again" in html and "Easy" in html and "Back in" in html
    assert html.count("suggested</span>") == 2  # the choice and the coding question
    assert " checked" not in html
    assert 'name="rubric-0" value="0"' in html


def test_rating_schedules_each_shown_item_once_and_stores_ticks_and_score(alice_client, alice):
    mock, items = mixed_mock(alice)
    posted = {"rating-0": "3", "rating-1": "1", "rating-2": "2", "rating-3": "4", "rating-4": "2",
              "rubric-0": ["0", "2", "9"], "rubric-3": "1", "rating-5": "4"}  # fmt: skip
    response = alice_client.post(rate(mock), posted)
    assert response.status_code == 302
    again = alice_client.post(rate(mock), {**posted, "rating-0": "1"})  # a second POST
    assert again.status_code == 302
    reviews = {r.question.slug: r for r in Review.objects.filter(user=alice)}
    assert set(reviews) == {"flash", "pick", "code", "design", "shown-fu"}  # not the hidden one
    assert {slug: r.rating for slug, r in reviews.items()} == {
        "flash": 3, "pick": 1, "code": 2, "design": 4, "shown-fu": 2,
    }  # fmt: skip
    assert reviews["flash"].rubric_ticked == [0, 2] and reviews["flash"].sequence == 0
    assert reviews["pick"].outcome["correct"] is False
    assert reviews["pick"].outcome["mock_interview"] == mock.pk
    assert reviews["code"].answer == "def f():\n    return 3\n"
    assert reviews["design"].answer == "## Data\nLogs of clicks"
    items["flash"].refresh_from_db()
    assert items["flash"].rating == 3 and items["flash"].rubric_ticked == [0, 2]
    assert MockItem.objects.get(mock=mock, position=5).rating is None
    mock.refresh_from_db()
    # Flash Good 2/3, choice wrong 0, coding 0/1 = 0, design Easy 1: the follow-up does not count.
    assert mock.score == round(100 * (2 / 3 + 0 + 0 + 1) / 4, 1) == 41.7
    assert Card.objects.get(user=alice, question__slug="flash").reps == 1


def test_after_rating_the_page_shows_ratings_in_words_and_the_summary(alice_client, alice):
    mock, _ = mixed_mock(alice)
    alice_client.post(rate(mock), {"rating-0": "3", "rating-1": "4", "rating-2": "3",
                                   "rating-3": "2", "rating-4": "1", "rubric-0": ["0", "1"]})  # fmt: skip
    html = alice_client.get(detail(mock)).content.decode()
    assert (
        "Your rating: <strong>Good</strong>" in html
        and "Your rating: <strong>Hard</strong>" in html
    )
    assert "Your rating: <strong>3</strong>" not in html
    assert 'type="checkbox"' not in html and 'type="radio"' not in html  # read-only now
    assert html.count("✓ covered") == 2 and "✗ not covered" in html
    assert "42/100" in html or "/100</strong>" in html
    summary = html.split('id="debrief-summary"')[1].split("</section>")[0]
    # Weakest points: the unticked ones, the lowest-rated question first (the follow-up, Again).
    weakest = summary.split("Weakest rubric points")[1].split("Practise these next")[0]
    assert weakest.index("Shown follow-up") < weakest.index("Design question")
    assert "Point three" in weakest
    # Practise next: rated Again/Hard (design, follow-up) or failed by the machine (pick,
    # code), each once; and the round.
    practise = summary.split("Practise these next")[1]
    for slug in ("design", "shown-fu", "pick", "code"):
        assert reverse("questions:detail", args=[slug]) in practise
    assert reverse("questions:detail", args=["flash"]) not in practise
    assert "/practice/session/?scope=round:ml-depth" in practise and "Practise ML" in practise


def test_a_missing_rating_keeps_what_was_chosen_and_records_nothing(alice_client, alice):
    mock, _ = mixed_mock(alice)
    response = alice_client.post(rate(mock), {"rating-0": "3", "rating-1": "2", "rubric-0": "1"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Rate every question" in html
    assert 'name="rating-0" value="3" required checked' in html
    assert 'name="rating-1" value="2" required checked' in html
    assert 'name="rubric-0" value="1" checked' in html and 'name="rubric-0" value="0">' in html
    assert not Review.objects.exists()
    mock.refresh_from_db()
    assert mock.rated_at is None and mock.score is None


def test_a_follow_up_that_is_also_a_main_question_is_reviewed_once(alice_client, alice):
    mock = over_mock(alice)
    shared = make_question(slug="twice")
    first = add_item(mock, shared, 0, follow_ups_shown_at=datetime.now(UTC))
    add_item(mock, make_question(), 1)
    add_item(mock, shared, 2, follow_up_of=first)
    alice_client.post(rate(mock), {"rating-0": "4", "rating-1": "3", "rating-2": "2"})
    assert list(Review.objects.filter(question=shared).values_list("rating", flat=True)) == [2]


def test_rating_an_unfinished_mock_is_refused(alice_client, alice):
    now = datetime.now(UTC)
    mock = MockInterview.objects.create(
        user=alice, round=Round.objects.get(slug="ml-depth"), started_at=now,
        ends_at=now + timedelta(minutes=45),
    )  # fmt: skip
    add_item(mock, make_question(), 0)
    response = alice_client.post(rate(mock), {"rating-0": "3"}, follow=True)
    assert "Finish the interview before rating it." in response.content.decode()
    assert not Review.objects.exists()


def test_times_are_shown_in_the_users_zone(alice_client, alice, settings):
    # The zone chosen in Settings (questions/timezones.py), or the server's default zone.
    Profile.objects.create(user=alice, timezone="America/New_York")
    settings.TIME_ZONE = "America/New_York"
    mock, _ = mixed_mock(alice)
    add_run(MockItem.objects.get(mock=mock, position=2), CodeRun.Kind.SUBMIT, result(1, 1))
    html = alice_client.get(detail(mock)).content.decode()
    assert " UTC" not in html and ("EST" in html or "EDT" in html)
    listing = alice_client.get(reverse("questions:mock_list")).content.decode()
    assert " UTC" not in listing and ("EST" in listing or "EDT" in listing)


def test_charlie_cannot_see_or_rate_alices_debrief(client, alice, charlie):
    mock, _ = mixed_mock(alice)
    client.force_login(charlie)
    assert client.get(detail(mock)).status_code == 404
    posted = {f"rating-{p}": "4" for p in range(6)}
    assert client.post(rate(mock), posted).status_code == 404
    mock.refresh_from_db()
    assert mock.rated_at is None and not Review.objects.exists()
    assert not MockItem.objects.filter(rating__isnull=False).exists()


def test_rate_needs_post(alice_client, alice):
    mock, _ = mixed_mock(alice)
    assert alice_client.get(rate(mock)).status_code == 405


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_debrief_queries_do_not_grow_with_the_number_of_items(alice_client, alice):
    small, _ = mixed_mock(alice)
    big = over_mock(alice)
    for i in range(12):
        kind = ["flashcard", "choice", "coding", "review", "design"][i % 5]
        extra = {"choice": CHOICE, "coding": CODE, "review": REVIEW}.get(kind, {"kind": kind})
        item = add_item(big, make_question(**extra), i, follow_ups_shown_at=datetime.now(UTC))
        add_item(big, make_question(), 100 + i, follow_up_of=item)
        if kind in ("coding", "review"):
            add_run(item, CodeRun.Kind.SUBMIT, result(1, 2))
            add_run(item, CodeRun.Kind.CATCH, catch("caught"))
    count = _queries(alice_client, detail(small))
    assert _queries(alice_client, detail(big)) == count
    # Session, user, profile, mock, items, rubric points, choices, visibility, runs, cards.
    assert count <= 10


# --- The list of mocks -------------------------------------------------------------------------


def test_list_offers_every_round_the_extra_formats_and_the_onsite(alice_client):
    html = alice_client.get(reverse("questions:mock_list")).content.decode()
    for value in ("screen", "technical-screen", "coding", "ml-depth", "ai-coding", "onsite"):
        assert f'value="{value}"' in html


def test_list_charts_scores_over_time_with_time_used(alice_client, alice):
    html = alice_client.get(reverse("questions:mock_list")).content.decode()
    assert "No mock interviews yet." in html and "chart-mock" not in html
    for i, score in enumerate([40.0, 75.0]):
        mock = over_mock(alice)
        mock.started_at -= timedelta(days=3 - i)
        mock.ends_at = mock.started_at + timedelta(minutes=45)
        mock.finished_at = mock.started_at + timedelta(minutes=20)
        mock.score, mock.rated_at = score, mock.ends_at
        mock.save()
    over_mock(alice)  # over, not rated: no dot
    html = alice_client.get(reverse("questions:mock_list")).content.decode()
    assert "Score over time" in html and html.count('class="score-dot"') == 2
    assert "ML-specific interviews" in html and "40/100" in html and "75/100" in html
    assert (
        "20 min" in html and "45 min" in html and "min 00 s" not in html and "not rated yet" in html
    )


def test_list_queries_do_not_grow_with_the_number_of_mocks(alice_client, alice):
    url = reverse("questions:mock_list")
    mock = over_mock(alice)
    mock.score, mock.rated_at = 50.0, mock.ends_at
    mock.save()
    count = _queries(alice_client, url)
    for _ in range(8):
        extra = over_mock(alice, "coding", fmt="ai-coding")
        extra.score, extra.rated_at = 70.0, extra.ends_at
        extra.save()
    assert _queries(alice_client, url) == count <= 8


# --- Charts ------------------------------------------------------------------------------------


def test_time_chart_marks_an_even_share_and_escapes_titles():
    from questions import charts

    svg = str(charts.time_per_question([("1. <b>x</b>", 120, "2 min 00 s")], 600, "Time"))
    assert "&lt;b&gt;" in svg and "<b>" not in svg
    # The even share (600 s) is the peak here: its pale track spans the bar's full width.
    assert '<rect class="time-share" x="0" y="23.0" width="244.0"' in svg
    assert '<rect class="bar" x="0" y="23.0" width="48.8"' in svg
    assert 'viewBox="0 0 340 ' in svg  # narrow: drawn near 1:1 on a phone


def test_start_finish_then_rate_feeds_the_scheduler_once(alice_client, alice):
    """Composition, through the views: a started mock's main questions are rated (its hidden
    follow-ups are not), each reviewed once, and the score shows in the list."""
    for category in ("deep-learning", "vision", "recsys", "nlp"):
        for i in range(2):
            make_question(slug=f"{category}-{i}", category=category, rounds=["ml-depth"])
    alice_client.post(reverse("questions:mock_start"), {"round": "ml-depth"})
    mock = MockInterview.objects.get(user=alice)
    main = list(mock.items.filter(follow_up_of=None))
    MockItem.objects.filter(pk=main[0].pk).update(answer="answer 0")
    alice_client.post(reverse("questions:mock_finish", args=[mock.pk]))
    mock.refresh_from_db()
    assert mock.finished_at is not None
    ratings = {f"rating-{item.position}": str(1 + item.position % 4) for item in main}
    alice_client.post(rate(mock), ratings)
    alice_client.post(rate(mock), ratings)  # double submit
    assert Review.objects.filter(user=alice).count() == len(main) == 6
    mock.refresh_from_db()
    expected = grading.score([(item.position % 4) / 3 for item in main])
    assert mock.score == expected
    first = Review.objects.get(user=alice, question=main[0].question)
    assert first.answer == "answer 0" and first.outcome == {"mock_interview": mock.pk}
    listing = alice_client.get(reverse("questions:mock_list")).content.decode()
    assert f"{expected:.0f}/100" in listing


def test_weakest_points_show_the_lowest_rated_first_up_to_a_limit(alice):
    mock = over_mock(alice)
    five = ["a", "b", "c", "d", "e"]
    good = add_item(mock, make_question(rubric=five), 0, rating=3, rubric_ticked=[0])
    again = add_item(mock, make_question(rubric=five), 1, rating=1, rubric_ticked=[4])
    add_item(mock, make_question(rubric=five), 2, rating=4, rubric_ticked=[0, 1, 2, 3, 4])
    items = list(MockItem.objects.filter(mock=mock).prefetch_related("question__rubric_points"))
    rows = grading.weakest_points(items, limit=6)
    assert [(item.pk, [p.position for p in points]) for item, points in rows] == [
        (again.pk, [0, 1, 2, 3]),
        (good.pk, [1, 2]),
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_chart_labels_stay_readable_on_a_phone(logged_in_page, live_server, alice):
    seed_loop()
    mock, _ = mixed_mock(alice)
    rated = over_mock(alice)
    rated.score, rated.rated_at = 60.0, rated.ends_at
    rated.save()
    page = logged_in_page
    page.set_viewport_size({"width": 390, "height": 844})
    label_px = """() => [...document.querySelectorAll('svg.chart-mock')].map(svg => {
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        return Math.min(...[...svg.querySelectorAll('text')].map(
            t => parseFloat(getComputedStyle(t).fontSize) * scale)); })"""
    for url in (detail(mock), reverse("questions:mock_list")):
        page.goto(live_server.url + url)
        sizes = page.evaluate(label_px)
        assert len(sizes) == 1 and sizes[0] >= 11, (url, sizes)
        # Nothing is wider than the phone's screen.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_shown_follow_up_must_be_rated_too(alice_client, alice):
    mock, _ = mixed_mock(alice)
    mains = {f"rating-{p}": "3" for p in range(4)}
    response = alice_client.post(rate(mock), mains)
    assert response.status_code == 400 and "Rate every question" in response.content.decode()
    assert not Review.objects.exists()
    assert alice_client.post(rate(mock), {**mains, "rating-4": "3"}).status_code == 302
    assert Review.objects.count() == 5


def test_an_onsite_debrief_groups_questions_by_round_with_a_practice_link_each(alice_client, alice):
    mock = over_mock(alice, "coding", fmt="onsite")
    coding, depth = Round.objects.get(slug="coding"), Round.objects.get(slug="ml-depth")
    add_item(mock, make_question(title="A coding problem", **CODE), 0, round=coding)
    add_item(mock, make_question(title="A depth question"), 1, round=depth)
    page = alice_client.get(detail(mock)).content.decode()
    assert "scope=round:coding" in page and "scope=round:ml-depth" in page
    html = page.split('class="debrief-form"')[1]  # the questions, after the summary
    assert html.index('<h2 class="debrief-round">Coding interviews</h2>') < html.index(
        "A coding problem"
    )
    assert (
        html.index("A coding problem")
        < html.index('<h2 class="debrief-round">ML-specific interviews</h2>')
        < html.index("A depth question")
    )
