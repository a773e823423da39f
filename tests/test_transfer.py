"""Import (preview, confirm, limits, refusals), export, account deletion and the commands."""

import html
import io
import json
import struct
import zipfile
from dataclasses import replace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import strip_tags

from questions import authoring, importing, runner
from questions.bankfile import ParsedQuestion, dump
from questions.models import Card, Draft, Note, Profile, Question, Track
from tests.conftest import PASSWORD
from tests.factories import make_question, seed_loop

pytestmark = pytest.mark.django_db

IMPORT = reverse("questions:my_import")
CONFIRM = reverse("questions:my_import_confirm")


@pytest.fixture(autouse=True)
def loop(db):
    seed_loop()


@pytest.fixture(autouse=True)
def sandbox(monkeypatch):
    """Reference solutions 'pass' unless they contain BROKEN (the real sandbox is tested in
    test_authoring and test_runner_sandbox)."""

    def fake_run(language, code, test_code, **kwargs):
        return runner.RunResult(tests=[runner.TestResult("test_it", "BROKEN" not in code)])

    monkeypatch.setattr(runner, "run", fake_run)


def question(slug="two-sum-notes", **overrides) -> ParsedQuestion:
    data = ParsedQuestion(
        slug=slug,
        title=f"Title of {slug}",
        category="ml-fundamentals",
        kind="flashcard",
        difficulty="easy",
        rounds=["technical-screen"],
        tags=["notes"],
        prompt="What is it?\n\n```python\nx = 1\n```",
        answer="It is **this**.",
        rubric=["Says this", "Says that\nin two lines"],
        hints=["Think"],
    )
    return replace(data, **overrides)


CODING = dict(
    kind="coding",
    category="coding",
    rounds=["coding"],
    language="python",
    starter="def f():\n    pass\n",
    solution="def f():\n    return 1\n",
    tests="def test_example():\n    assert f() == 1\n",
)
CHOICE = dict(kind="choice", choices=[("Right", True), ("Wrong", False)])


def md(slug="two-sum-notes", **overrides) -> bytes:
    return dump(question(slug, **overrides)).encode()


def make_zip(files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return buffer.getvalue()


def upload(client, name: str, data: bytes, **fields):
    file = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post(IMPORT, {"file": file, "visibility": "private", **fields})


def confirm(client, response):
    return client.post(CONFIRM, {"token": response.context["token"]})


def reasons(response) -> list[str]:
    return [str(e) for e in response.context["plan"].errors]


# --- Import: the happy paths --------------------------------------------------------------------


def test_one_md_file_is_previewed_then_imported_on_confirmation(alice_client, alice):
    response = upload(alice_client, "two-sum-notes.md", md())
    assert response.status_code == 200
    html = response.content.decode()
    assert "Title of two-sum-notes" in html and "created" in html
    assert "Import 1 question" in html
    assert not Question.objects.exists()  # nothing before confirmation

    response = confirm(alice_client, response)
    assert response.status_code == 302
    stored = Question.objects.get(owner=alice)
    assert stored.slug == f"u{alice.pk}-two-sum-notes" and stored.visibility == "private"
    parsed = authoring.parsed_from_question(stored)
    assert parsed == replace(question(), slug=stored.slug)
    page = alice_client.get(response["Location"]).content.decode()
    assert "1 created, 0 updated, 0 unchanged" in page

    again = upload(alice_client, "two-sum-notes.md", md())
    assert "already in your questions, unchanged" in again.content.decode()
    assert again.context["token"] == ""


def test_importing_a_changed_file_updates_the_question_and_keeps_progress(alice_client, alice):
    confirm(alice_client, upload(alice_client, "notes.md", md("notes")))
    stored = Question.objects.get(owner=alice)
    Card.objects.create(user=alice, question=stored, reps=4)
    response = upload(alice_client, "notes.md", md("notes", answer="A better answer."))
    assert [i.action for i in response.context["plan"].items] == ["update"]
    confirm(alice_client, response)
    stored.refresh_from_db()
    assert stored.answer == "A better answer."
    assert Card.objects.get(user=alice, question=stored).reps == 4


def test_export_then_import_reproduces_the_same_questions(alice_client, alice, bob):
    for slug, extra in [
        ("flash", {}),
        ("pick", CHOICE),
        ("code", CODING),
        ("talk", {"kind": "design"}),
    ]:
        alice_client.post(
            reverse("questions:my_new"),
            authoring.form_initial(question(slug, **extra)) | {"visibility": "private"},
        )
    original = {
        q.slug: authoring.parsed_from_question(q)
        for q in authoring.with_parts(Question.objects.filter(owner=alice))
    }
    assert len(original) == 4
    response = alice_client.get(reverse("questions:my_export"))
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="prep-questions-alice')
    archive = response.content
    names = sorted(zipfile.ZipFile(io.BytesIO(archive)).namelist())
    assert names == [
        "coding/title-of-code.md",
        "ml-fundamentals/title-of-flash.md",
        "ml-fundamentals/title-of-pick.md",
        "ml-fundamentals/title-of-talk.md",
    ]

    # Lose them, import the export: the same questions come back under the same slugs.
    Question.objects.filter(owner=alice).delete()
    response = upload(alice_client, "export.zip", archive)
    assert [i.action for i in response.context["plan"].items] == ["create"] * 4
    confirm(alice_client, response)
    restored = {
        q.slug: authoring.parsed_from_question(q)
        for q in authoring.with_parts(Question.objects.filter(owner=alice))
    }
    assert restored == original

    # Imported again unchanged, nothing to do; by bob, his own copies, alice's untouched.
    assert upload(alice_client, "export.zip", archive).context["plan"].count("unchanged") == 4
    alice_client.force_login(bob)
    confirm(alice_client, upload(alice_client, "export.zip", archive))
    bobs = sorted(
        (authoring.parsed_from_question(q) for q in Question.objects.filter(owner=bob)),
        key=lambda p: p.title,
    )
    assert [replace(p, slug="") for p in bobs] == [
        replace(p, slug="") for p in sorted(original.values(), key=lambda p: p.title)
    ]
    assert all(p.slug.startswith(f"u{bob.pk}-title-of-") for p in bobs)
    assert Question.objects.filter(owner=alice).count() == 4


def test_a_csv_of_front_back_pairs_becomes_flashcards(alice_client, alice):
    data = 'front,back\nWhat is PCA?,"Projection onto\nthe top eigenvectors"\nWhat is L2?,Ridge\n'
    response = upload(
        alice_client,
        "deck.csv",
        data.encode(),
        category="statistics",
        rounds=["technical-screen"],
    )
    plan = response.context["plan"]
    assert [i.path for i in plan.items] == ["deck.csv:2", "deck.csv:4"]
    confirm(alice_client, response)
    cards = {q.title: q for q in Question.objects.filter(owner=alice)}
    pca = cards["What is PCA?"]
    assert (pca.kind, pca.category.slug, pca.answer) == (
        "flashcard",
        "statistics",
        "Projection onto\nthe top eigenvectors",
    )
    assert [p.text for p in pca.rubric_points.all()] == [importing.CARD_RUBRIC]
    assert [r.slug for r in pca.rounds.all()] == ["technical-screen"]
    again = upload(
        alice_client, "deck.csv", data.encode(), category="statistics", rounds=["technical-screen"]
    )
    assert again.context["plan"].count("unchanged") == 2


def test_anki_plain_text_export_is_understood(alice_client, alice):
    data = "#separator:tab\n#html:true\nWhat is <b>bias</b>?\tError from<br>wrong assumptions &amp; more\n"
    response = upload(
        alice_client, "anki.txt", data.encode(), category="ml-fundamentals", rounds=["ml-depth"]
    )
    item = response.context["plan"].items[0]
    assert (item.question.title, item.path) == ("What is bias?", "anki.txt:3")
    assert item.question.answer == "Error from\nwrong assumptions & more"


def test_a_csv_needs_a_category_and_rounds_and_two_columns(alice_client):
    response = upload(alice_client, "deck.csv", b"a,b\n")
    assert response.status_code == 400
    assert "category" in response.context["form"].errors
    assert "rounds" in response.context["form"].errors
    response = upload(
        alice_client, "deck.csv", b"good,card\nlonely\n", category="nlp", rounds=["ml-depth"]
    )
    assert reasons(response) == ["deck.csv:2: a card needs a front and a back"]
    assert not response.context["token"]


# --- Import: refusals, each writes nothing and says why -----------------------------------------


def refused(client, name, data, expected: str, **fields):
    response = upload(client, name, data, **fields)
    assert response.status_code == 400
    assert any(expected in reason for reason in reasons(response)), reasons(response)
    shown = html.unescape(strip_tags(response.content.decode()))
    assert all(error.reason in shown for error in response.context["plan"].errors)
    assert not response.context["token"]
    assert not Question.objects.exists()
    return response


def test_a_corrupt_zip_is_refused(alice_client):
    good = make_zip({"a.md": md("a")})
    refused(alice_client, "broken.zip", good[: len(good) // 2], "not a valid zip file")
    refused(alice_client, "fake.zip", b"this is not a zip at all", "not a valid zip file")


def test_a_zip_bomb_is_refused(alice_client):
    bomb = make_zip({"bomb.md": b"-" * 400_000})  # deflates about a thousand times
    refused(alice_client, "bomb.zip", bomb, "more than 100 times its packed size")
    wide = make_zip({f"q{i}.md": b" " * 400_000 for i in range(60)})  # 24 MB unpacked
    refused(alice_client, "wide.zip", wide, "would unpack to 22.9 MB")
    big = make_zip({"big.md": b"x" * 600_000}, compression=zipfile.ZIP_STORED)
    refused(alice_client, "big.zip", big, "per question")


def test_a_zip_that_lies_about_its_sizes_is_refused(alice_client):
    data = bytearray(make_zip({"liar.md": md("liar") + b" " * 20_000}))
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        struct.pack_into("<I", data, data.find(signature) + offset, 1000)
    refused(alice_client, "liar.zip", bytes(data), "could not be unpacked")


@pytest.mark.parametrize("name", ["../evil.md", "a/../../evil.md", "/etc/evil.md", "C:/evil.md"])
def test_paths_that_climb_out_or_are_absolute_are_refused(alice_client, name):
    archive = make_zip({"fine.md": md("fine"), name: md("evil")})
    refused(alice_client, "sneaky.zip", archive, "absolute or climbs out")


def test_one_bad_question_stops_the_whole_import_and_is_named_with_its_line(alice_client):
    bad = md("bad").replace(b"category: ml-fundamentals", b"category: astrology")
    archive = make_zip({"good/one.md": md("one"), "bad.md": bad, "good/two.md": md("two")})
    response = refused(alice_client, "mixed.zip", archive, "bad.md:3: unknown category 'astrology'")
    assert len(reasons(response)) == 1
    assert [i.path for i in response.context["plan"].items] == ["good/one.md", "good/two.md"]
    assert alice_client.post(CONFIRM, {"token": ""}).status_code == 302
    assert not Question.objects.exists()


def test_other_refusals_explain_themselves(alice_client):
    refused(alice_client, "latin1.md", "title: café".encode("latin-1"), "not UTF-8 text")
    refused(alice_client, "Bad Name.md", md(), "file name must be a slug")
    refused(alice_client, "notes.docx", b"whatever", "Upload a question file (.md)")
    twice = make_zip({"a/same.md": md("same"), "b/same.md": md("same")})
    refused(alice_client, "twice.zip", twice, "also used by a/same.md")
    refused(alice_client, "empty.zip", make_zip({"readme.txt": b"hi"}), "no question files")
    broken = make_zip(
        {"code.md": md("code", **{**CODING, "solution": "def f():\n    return 0  # BROKEN\n"})}
    )
    refused(alice_client, "code.zip", broken, "code.md: The reference solution passes 0 of 1")


def test_running_code_off_refuses_coding_questions_on_import(alice_client, settings, monkeypatch):
    monkeypatch.undo()  # the real runner, which is off
    settings.PREP_CODE_RUNNER = "off"
    refused(
        alice_client, "code.md", md("code", **CODING), "Coding and review questions cannot be saved"
    )


def test_limits_on_the_number_of_files():
    archive = make_zip({f"q{i}.md": md(f"q{i}") for i in range(4)})

    class User:
        pk = 1

    plan = importing.read_upload("many.zip", archive, user=User, limits=importing.Limits(files=3))
    assert [str(e) for e in plan.errors] == ["many.zip: The zip holds 4 .md files; at most 3."]


def test_an_upload_over_the_size_limit_is_refused_without_touching_the_disk(
    alice_client, monkeypatch
):
    def no_disk(*args, **kwargs):
        raise AssertionError("the upload was written to a temporary file")

    monkeypatch.setattr(TemporaryUploadedFile, "__init__", no_disk)
    refused(alice_client, "huge.md", b"x" * (3 * 1024 * 1024), "larger than 2 MB")


def test_confirming_needs_the_previewed_token_and_imports_all_or_nothing(
    alice_client, alice, monkeypatch
):
    response = upload(alice_client, "two.zip", make_zip({"a.md": md("a"), "b.md": md("b")}))
    stale = alice_client.post(CONFIRM, {"token": "guessed"}, follow=True)
    assert "preview has expired" in stale.content.decode()
    assert not Question.objects.exists()

    response = upload(alice_client, "two.zip", make_zip({"a.md": md("a"), "b.md": md("b")}))
    original = importing.apply_parsed
    calls = []

    def fail_on_second(question, data, *args):
        calls.append(data.slug)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return original(question, data, *args)

    monkeypatch.setattr(importing, "apply_parsed", fail_on_second)
    with pytest.raises(RuntimeError):
        confirm(alice_client, response)
    assert len(calls) == 2 and not Question.objects.exists()


def test_import_posts_need_the_csrf_token(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    file = SimpleUploadedFile("a.md", md("a"))
    assert client.post(IMPORT, {"file": file, "visibility": "private"}).status_code == 403
    assert client.post(CONFIRM, {"token": "x"}).status_code == 403


# --- Export --------------------------------------------------------------------------------------


def test_one_question_downloads_as_a_text_attachment_for_its_owner_only(
    client, alice, bob, charlie
):
    stored = make_question(
        owner=alice, visibility="shared", slug=f"u{alice.pk}-mine", prompt="<b>x</b>"
    )
    url = reverse("questions:my_export_one", args=[stored.slug])
    client.force_login(alice)
    response = client.get(url)
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="mine.md"'
    assert response.content.decode() == dump(authoring.parsed_from_question(stored))
    for other in (bob, charlie):
        client.force_login(other)
        assert client.get(url).status_code == 404


def test_the_questions_zip_holds_only_my_own(alice_client, alice, bob):
    make_question(owner=alice, slug=f"u{alice.pk}-mine")
    make_question(owner=bob, visibility="shared", slug=f"u{bob.pk}-his")
    make_question(slug="builtin")
    archive = zipfile.ZipFile(io.BytesIO(alice_client.get(reverse("questions:my_export")).content))
    assert archive.namelist() == ["ml-fundamentals/mine.md"]


def test_all_my_data_downloads_as_json_with_nothing_of_anyone_else(client, alice, bob):
    mine = make_question(owner=alice, slug=f"u{alice.pk}-mine")
    builtin = make_question(slug="builtin")
    Profile.objects.create(user=alice, new_per_day=7, track=Track.objects.get(slug="phd"))
    Note.objects.create(user=alice, question=builtin, text="my note")
    Note.objects.create(user=bob, question=builtin, text="bob's note")
    Card.objects.create(user=alice, question=builtin, reps=1, bookmarked=True)
    Draft.objects.create(user=alice, question=mine, code="print(1)")
    client.force_login(alice)
    client.post(
        reverse("questions:practice_rate"),
        {"question": "builtin", "scope": "all", "seq": 1, "started": 0, "shown_at": 0, "rating": 3},
    )
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("questions:my_export_data"))
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="prep-data-alice-')
    data = json.loads(response.content)
    assert data["user"]["username"] == "alice"
    assert (data["settings"]["new_per_day"], data["settings"]["track"]) == (7, "phd")
    assert [q["slug"] for q in data["questions"]] == [mine.slug]
    assert data["questions"][0]["file"].startswith("---\ntitle:")
    assert data["notes"][0]["text"] == "my note" and len(data["notes"]) == 1
    assert data["cards"][0]["question"] == "builtin" and data["cards"][0]["bookmarked"]
    assert [r["rating"] for r in data["reviews"]] == [3]
    assert data["drafts"][0]["code"] == "print(1)"
    small = len(queries)
    for i in range(20):
        extra = make_question(owner=alice, slug=f"u{alice.pk}-more-{i}")
        Card.objects.create(user=alice, question=extra)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("questions:my_export_data"))
    assert len(queries) == small


# --- Deleting one's account ---------------------------------------------------------------------


def test_deleting_the_account_needs_the_password_and_removes_everything_of_mine(client, alice, bob):
    mine = make_question(owner=alice, visibility="shared", slug=f"u{alice.pk}-mine")
    builtin = make_question(slug="builtin")
    Note.objects.create(user=alice, question=builtin, text="note")
    Card.objects.create(user=alice, question=builtin)
    Card.objects.create(user=bob, question=builtin)
    client.force_login(alice)
    url = reverse("questions:account_delete")
    page = client.get(url).content.decode()
    assert "your 1 question" in page and "including 1 shared" in page

    response = client.post(url, {"password": "wrong"})
    assert response.status_code == 400
    assert "not your password" in response.content.decode()
    assert Question.objects.filter(pk=mine.pk).exists()

    response = client.post(url, {"password": PASSWORD}, follow=True)
    assert "Your account and everything in it were deleted." in response.content.decode()
    assert not type(alice).objects.filter(pk=alice.pk).exists()
    assert not Question.objects.filter(pk=mine.pk).exists()
    assert not Note.objects.exists() and list(Card.objects.values_list("user", flat=True)) == [
        bob.pk
    ]
    assert Question.objects.filter(pk=builtin.pk).exists()
    assert client.get(reverse("questions:my_questions")).status_code == 302  # signed out


def test_wrong_passwords_are_throttled(alice_client, alice, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 2
    url = reverse("questions:account_delete")
    for _ in range(2):
        alice_client.post(url, {"password": "wrong"})
    response = alice_client.post(url, {"password": PASSWORD})
    assert "Too many wrong passwords" in response.content.decode()
    assert type(alice).objects.filter(pk=alice.pk).exists()


# --- Management commands ------------------------------------------------------------------------


def test_exportbank_and_importbank_round_trip_a_users_questions(tmp_path, alice, bob):
    make_question(owner=alice, slug=f"u{alice.pk}-first", title="First")
    make_question(owner=alice, slug=f"u{alice.pk}-second", title="Second", **CHOICE)
    out = tmp_path / "alice"
    call_command("exportbank", str(out), "--user", "alice", stdout=io.StringIO())
    assert sorted(p.name for p in out.rglob("*.md")) == ["first.md", "second.md"]
    with pytest.raises(CommandError, match="not an empty folder"):
        call_command("exportbank", str(out), "--user", "alice")

    stdout = io.StringIO()
    call_command("importbank", str(out), "--user", "bob", "--dry-run", stdout=stdout)
    assert "2 to create" in stdout.getvalue() and not Question.objects.filter(owner=bob).exists()
    call_command("importbank", str(out), "--user", "bob", "--visibility", "shared", stdout=stdout)
    bobs = {q.title: q for q in authoring.with_parts(Question.objects.filter(owner=bob))}
    assert set(bobs) == {"First", "Second"} and bobs["Second"].visibility == "shared"
    assert authoring.parsed_from_question(bobs["Second"]).choices == CHOICE["choices"]

    (out / "ml-fundamentals" / "first.md").write_text("---\ntitle: broken\n")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("importbank", str(out), "--user", "bob", stderr=io.StringIO())


def test_exportbank_writes_the_built_in_bank_so_that_it_loads_back(tmp_path):
    make_question(slug="builtin-one", title="One", tags=["x"])
    make_question(slug="builtin-two", title="Two", **CHOICE)
    before = {
        q.slug: authoring.parsed_from_question(q)
        for q in authoring.with_parts(Question.objects.all())
    }
    out = tmp_path / "bank"
    call_command("exportbank", str(out), stdout=io.StringIO())
    assert (out / "loop.yaml").exists()
    Question.objects.update(title="Edited in the database")
    call_command("importbank", str(out), stdout=io.StringIO())
    after = {
        q.slug: authoring.parsed_from_question(q)
        for q in authoring.with_parts(Question.objects.all())
    }
    assert after == before


def test_a_preview_token_works_only_in_its_own_session(client, alice, charlie):
    client.force_login(alice)
    token = upload(client, "a.md", md("a")).context["token"]
    other = Client()
    other.force_login(charlie)
    response = other.post(CONFIRM, {"token": token}, follow=True)
    assert "preview has expired" in response.content.decode()
    assert not Question.objects.exists()
    assert client.post(CONFIRM, {"token": token}).status_code == 302
    assert Question.objects.get().owner == alice
