"""The harness' JSON report comes from the process the user's code runs in, so the user can
write anything there. The runner parses it strictly: hostile reports become a plain "invalid
report" error, never an exception, and nothing unfit for the database gets through."""

import io
import json
import math
import textwrap

import pytest

from questions import runner
from questions.runner import report as runner_report
from tests.conftest import needs_bwrap

LIMITS = runner.Limits()


def collect(raw, returncode=0, stderr=b"") -> runner.RunResult:
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    return runner_report.collect(
        io.BytesIO(raw), io.BytesIO(b""), io.BytesIO(stderr), returncode, 12.5, "bwrap", LIMITS
    )


def report(*tests, **extra) -> str:
    return json.dumps({"tests": list(tests), "error": None, "load_ms": 1.5, **extra})


def entry(name="test_a", passed=True, message="", ms=0.25) -> dict:
    return {"name": name, "passed": passed, "message": message, "ms": ms}


def assert_invalid(result: runner.RunResult) -> None:
    assert "invalid report" in result.error
    assert result.tests == []
    assert not result.all_passed
    json.dumps(result.as_dict(), allow_nan=False)  # what the view saves


def test_a_well_formed_report_is_read():
    result = collect(report(entry("test_a"), entry("test_b", False, "AssertionError", 3)))
    assert [(t.name, t.passed, t.message, t.ms) for t in result.tests] == [
        ("test_a", True, "", 0.25),
        ("test_b", False, "AssertionError", 3.0),
    ]
    assert result.error == ""
    assert result.passed == 1


def test_an_empty_report_is_explained_as_a_crash_not_as_invalid():
    result = collect(b"", stderr=b"Traceback ...\nSomething")
    assert "crashed before reporting" in result.error
    assert "invalid report" not in result.error


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 100_000,  # RecursionError in json.loads before
        '{"tests": ' + "[" * 50_000 + "]" * 50_000 + "}",
        '{"tests": [], "error": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}",
    ],
    ids=["deep-list", "deep-tests", "deep-error"],
)
def test_deeply_nested_json_is_an_invalid_report(raw):
    assert_invalid(collect(raw))


@pytest.mark.parametrize("ms", ["NaN", "Infinity", "-Infinity", "1e999", "-1", "true", '"3"'])
def test_a_timing_must_be_a_finite_number(ms):
    raw = report(entry()).replace('"ms": 0.25', f'"ms": {ms}')
    assert f'"ms": {ms}' in raw
    assert_invalid(collect(raw))


def test_nan_anywhere_is_refused():
    raw = report(entry(), load_ms=0).replace('"load_ms": 0', '"load_ms": NaN')
    assert_invalid(collect(raw))


@pytest.mark.parametrize("passed", ["false", "true", 1, 0, None, [], {}])
def test_passed_must_be_a_real_boolean(passed):
    assert_invalid(collect(report(entry(passed=passed))))


@pytest.mark.parametrize(
    "item",
    [
        {"name": 5, "passed": True, "message": "", "ms": 0},
        {"name": "t", "passed": True, "message": ["x"], "ms": 0},
        {"name": "t", "passed": True, "message": ""},  # no ms
        {"passed": True, "message": "", "ms": 0},  # no name
        {"name": "t", "passed": True, "message": "", "ms": 0, "extra": 1},
        "test_a",
        ["test_a", True],
        None,
    ],
)
def test_each_test_must_have_exactly_the_expected_fields(item):
    assert_invalid(collect(json.dumps({"tests": [item], "error": None})))


@pytest.mark.parametrize(
    "raw",
    [
        "[]",
        "null",
        '"tests"',
        "1",
        '{"tests": {}, "error": null}',
        '{"tests": "all", "error": null}',
        '{"tests": [], "error": 5}',
        '{"tests": [], "error": null, "passed": 10}',
        '{"error": null}',
        "not json at all",
        '{"tests": [] ',
        '{"tests": [], "error": null} trailing',
    ],
)
def test_malformed_reports_are_invalid(raw):
    assert_invalid(collect(raw))


def test_undecodable_bytes_are_an_invalid_report():
    assert_invalid(collect(b'{"tests": [], "error": "\xff\xfe"}'))


def test_too_many_tests_is_an_invalid_report():
    tests = [entry(f"test_{i}") for i in range(runner_report.MAX_REPORTED_TESTS + 1)]
    assert_invalid(collect(report(*tests)))
    assert len(collect(report(*tests[:-1])).tests) == runner_report.MAX_REPORTED_TESTS


def test_huge_integers_are_an_invalid_report():
    raw = report(entry()).replace('"ms": 0.25', '"ms": ' + "9" * 5000)
    assert_invalid(collect(raw))


def test_long_strings_are_capped():
    result = collect(report(entry("t" * 10_000, False, "m" * 100_000), error="e" * 100_000))
    assert len(result.tests[0].name) <= 200
    assert len(result.tests[0].message) <= 4000
    assert len(result.error) <= 4000


def test_nul_characters_and_lone_surrogates_cannot_reach_the_database():
    """PostgreSQL refuses \\u0000 and unpaired surrogates in jsonb: the view would 500."""
    raw = report(entry("test_\x00a", False, "bad \ud800 \x00 text"), error="oops \udfff\x00")
    result = collect(raw)
    saved = json.dumps(result.as_dict(), ensure_ascii=False)
    saved.encode("utf-8")  # no lone surrogates left
    assert "\x00" not in saved and "\\u0000" not in json.dumps(result.as_dict())
    assert result.tests[0].message.startswith("bad ")


def test_timings_are_finite_in_what_the_view_saves():
    result = collect(report(entry(ms=1e308)))
    for t in result.tests:
        assert math.isfinite(t.ms)
    json.dumps(result.as_dict(), allow_nan=False)


def test_a_limit_message_wins_over_a_half_written_report():
    result = runner_report.collect(
        io.BytesIO(b'{"tests": [{"name": "t'),
        io.BytesIO(b""),
        io.BytesIO(b""),
        None,
        10_000.0,
        "bwrap",
        LIMITS,
    )
    assert "Time limit exceeded" in result.error


@needs_bwrap
@pytest.mark.parametrize(
    "payload",
    [
        '"[" * 200_000',
        '\'{"tests": [{"name": "test_x", "passed": "false", "message": "", "ms": NaN}], "error": null}\'',
    ],
    ids=["deep", "fake-pass-and-nan"],
)
def test_user_code_writing_a_hostile_report_gets_a_plain_error(settings, payload):
    settings.PREP_CODE_RUNNER = "bwrap"
    tests = textwrap.dedent(
        f"""
        import os, sys
        def test_x():
            fd = int(sys.argv[1])
            os.lseek(fd, 0, 0)
            os.write(fd, ({payload}).encode())
            os._exit(0)
        """
    )
    result = runner.run("python", "X = 1\n", tests)
    assert "invalid report" in result.error
    assert not result.all_passed
    json.dumps(result.as_dict(), allow_nan=False)
