"""`loadbank`: all-or-nothing, upsert by slug, counts, clear errors."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from questions.loader import DEFAULT_BANK, BankLoadError, load_bank
from questions.models import Category, Choice, Hint, Question, Round, RubricPoint, Track

pytestmark = pytest.mark.django_db

SEED = [
    "ml-fundamentals/l1-regularization-sparsity.md",
    "ml-fundamentals/precision-recall-imbalanced-metric.md",
    "system-design/home-feed-ranking.md",
    "coding/two-sum-indices.md",
    "coding/sql-top-pin-per-board.md",
    "ml-coding/stable-softmax.md",
]


@pytest.fixture
def bank(tmp_path) -> Path:
    root = tmp_path / "bank"
    root.mkdir()
    shutil.copy(DEFAULT_BANK / "loop.yaml", root / "loop.yaml")
    for relative in SEED:
        (root / relative).parent.mkdir(exist_ok=True)
        shutil.copy(DEFAULT_BANK / relative, root / relative)
    return root


def snapshot():
    return sorted(Question.objects.values_list("slug", "title", "answer", "updated_at"))


def test_loads_seed_bank_with_every_kind_and_part(bank):
    report = load_bank(bank)
    assert len(report.created) == len(SEED)
    assert set(Question.objects.values_list("kind", flat=True)) == {
        "flashcard",
        "choice",
        "design",
        "coding",
    }
    choice = Question.objects.get(slug="precision-recall-imbalanced-metric")
    assert list(Choice.objects.filter(question=choice).values_list("is_correct", flat=True)) == [
        False,
        True,
        True,
        False,
    ]
    assert RubricPoint.objects.filter(question=choice).count() == 4
    coding = Question.objects.get(slug="sql-top-pin-per-board")
    assert coding.language == "sql" and "ROW_NUMBER" in coding.solution_code
    assert 'class="codehilite"' in coding.solution_html
    assert Hint.objects.filter(question__slug="l1-regularization-sparsity").count() == 2


def test_loop_is_seeded_exactly_as_designed(bank):
    load_bank(bank)
    assert list(Round.objects.values_list("slug", flat=True)) == [
        "screen",
        "technical-screen",
        "coding",
        "ml-depth",
        "system-design",
        "research-presentation",
        "research-directions",
    ]
    masters = Track.objects.get(slug="masters")
    assert sorted(masters.rounds.values_list("slug", flat=True)) == sorted(
        ["screen", "technical-screen", "coding", "ml-depth"]
    )
    assert Track.objects.get(slug="phd").rounds.count() == 7
    assert Category.objects.count() == 12
    assert set(Round.objects.get(slug="ml-depth").categories.values_list("slug", flat=True)) == {
        "deep-learning",
        "vision",
        "recsys",
        "nlp",
        "ml-coding",
    }


def test_reload_reports_unchanged_and_edit_updates_in_place(bank):
    load_bank(bank)
    ids = dict(Question.objects.values_list("slug", "id"))
    report = load_bank(bank)
    assert (len(report.created), len(report.updated), len(report.unchanged)) == (0, 0, len(SEED))

    path = bank / "ml-fundamentals/l1-regularization-sparsity.md"
    path.write_text(path.read_text().replace("## Hints\n- Compare", "## Hints\n- Now compare"))
    report = load_bank(bank)
    assert report.updated == ["l1-regularization-sparsity"]
    assert dict(Question.objects.values_list("slug", "id")) == ids  # same rows: progress kept
    assert Hint.objects.filter(
        question_id=ids["l1-regularization-sparsity"], text__startswith="Now"
    ).exists()


def test_one_bad_file_loads_nothing_and_names_file_line_reason(bank):
    load_bank(bank)
    before = snapshot()
    good = bank / "ml-fundamentals/l1-regularization-sparsity.md"
    good.write_text(good.read_text().replace("The L2 penalty", "An edited L2 penalty"))
    bad = bank / "coding/two-sum-indices.md"
    bad.write_text(bad.read_text().replace("difficulty: easy", "difficulty: trivial"))

    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("loadbank", str(bank))
    assert snapshot() == before

    with pytest.raises(BankLoadError) as info:
        load_bank(bank)
    (error,) = info.value.errors
    assert error.path.endswith("coding/two-sum-indices.md")
    assert error.line == 5
    assert "difficulty must be one of" in error.reason


def test_command_exits_non_zero_with_message(bank):
    """The real command line: exit status and message (validation fails before any write)."""
    (bank / "coding/broken.md").write_text("no front matter")
    result = subprocess.run(
        [sys.executable, "manage.py", "loadbank", str(bank)],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "coding/broken.md:1" in result.stderr and "front matter" in result.stderr
    assert "nothing was loaded" in result.stderr
    assert Question.objects.count() == 0


def test_duplicate_slug_and_wrong_folder_are_refused(bank):
    (bank / "deep-learning").mkdir()
    shutil.copy(bank / "coding/two-sum-indices.md", bank / "deep-learning/two-sum-indices.md")
    with pytest.raises(BankLoadError) as info:
        load_bank(bank)
    reasons = " ".join(e.reason for e in info.value.errors)
    assert "folder" in reasons or "also used by" in reasons
    assert Question.objects.count() == 0


def test_non_utf8_file_is_refused(bank):
    (bank / "coding/latin1.md").write_bytes("---\ntitle: caf\xe9\n".encode("latin-1"))
    with pytest.raises(BankLoadError, match="not UTF-8"):
        load_bank(bank)


def test_command_reports_counts(bank, capsys):
    call_command("loadbank", str(bank))
    assert f"{len(SEED)} created, 0 updated, 0 unchanged" in capsys.readouterr().out


def test_whole_built_in_bank_loads():
    report = load_bank(DEFAULT_BANK)
    assert len(report.created) == Question.objects.count() >= len(SEED)
