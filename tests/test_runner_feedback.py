"""A failing test says what happened (issue 15, "Test feedback"): the call, the expected value
and what the code returned and printed, trimmed; a float comparison's tolerance; for an error,
the user's own line. tests.py's asserts are rewritten in the sandbox (questions/runner/harness.py)
without changing what they do, and the report's details are parsed as strictly as the rest."""

import io
import json
import textwrap
import traceback

import pytest
from django.urls import reverse

from questions import code_runs, review, runner
from questions.models import CodeRun
from questions.runner import harness
from questions.runner import report as runner_report
from tests.conftest import needs_bwrap, set_code
from tests.factories import make_question, seed_loop

FAST = runner.Limits(cpu_seconds=3, wall_seconds=8)


@pytest.fixture
def bwrap(settings):
    settings.PREP_CODE_RUNNER = "bwrap"


def run(code: str, tests: str, language="python", limits=FAST) -> runner.RunResult:
    return runner.run(language, textwrap.dedent(code), textwrap.dedent(tests), limits=limits)


def failed(result: runner.RunResult, name: str) -> runner.TestResult:
    assert not result.error, result.error
    test = next(t for t in result.tests if t.name == name)
    assert not test.passed, f"{name} passed"
    return test


def facts(test: runner.TestResult) -> dict:
    """A failed assert's details but the assert's own line."""
    return {key: value for key, value in test.details.items() if key != "assertion"}


def line_of(tests: str, text: str, exact=False) -> int:
    """The line of tests.py that starts with `text` (or is it): tests.py begins with the line
    `from solution import *`."""
    lines = [line.strip() for line in textwrap.dedent(tests).splitlines()]
    return (
        next(
            i
            for i, line in enumerate(lines)
            if line == text or (not exact and line.startswith(text))
        )
        + 2
    )


DOUBLE_WRONG = """
def double(x):
    return 2 * x + 1
"""


# --- Comparisons: call, expected, got ---------------------------------------------------------


@needs_bwrap
def test_equality_shows_the_call_the_expected_value_and_what_came_back(bwrap):
    tests = """
    def test_zero():
        assert double(0) == 0
    """
    test = failed(run(DOUBLE_WRONG, tests), "test_zero")
    where = f"tests.py, line {line_of(tests, 'assert')}: assert double(0) == 0"
    assert test.details == {"assertion": where, "call": "double(0)", "expected": "0", "got": "1"}
    lines = test.message.splitlines()
    assert lines[0] == "AssertionError"
    assert lines[1] == where
    assert [line.split()[0] for line in lines[2:]] == ["call:", "expected:", "got:"]
    assert "harness" not in test.message


@needs_bwrap
def test_which_side_is_expected(bwrap):
    tests = """
    EXPECTED = [0, 2, 4]

    def check(got, expected):
        assert got == expected

    def test_literal_on_the_left():
        assert 0 == double(0)

    def test_module_level_name():
        assert [double(i) for i in range(3)] == EXPECTED

    def test_named_like_it_in_a_helper():
        check([double(1)], [2])

    def test_a_bound_in_a_chain():
        assert 0 <= double(1) <= 2

    def test_reversed_comparison():
        assert 5 < double(1)

    def test_membership():
        assert double(2) in (4, 8)

    def test_unclear():
        a, b = 1, 2
        assert a == b

    def test_with_the_tests_own_message():
        assert double(0) == 0, "zero doubles to zero"
    """
    result = run(DOUBLE_WRONG, tests)
    assert facts(failed(result, "test_literal_on_the_left")) == {
        "call": "double(0)", "expected": "0", "got": "1",
    }  # fmt: skip
    module = failed(result, "test_module_level_name").details
    assert (module["expected"], module["got"]) == ("[0, 2, 4]", "[1, 3, 5]")
    assert module["difference"] == "first difference at index 0: got 1, expected 0"
    helper = failed(result, "test_named_like_it_in_a_helper")
    assert (helper.details["expected"], helper.details["got"]) == ("[2]", "[3]")
    called = f"called from tests.py, line {line_of(tests, 'check([double(1)]')}"
    assert called in helper.message and helper.details["assertion"].endswith(
        f"assert got == expected\n{called}: check([double(1)], [2])"
    )
    chain = failed(result, "test_a_bound_in_a_chain").details
    assert (chain["expected"], chain["got"]) == ("at most 2", "3")
    assert failed(result, "test_reversed_comparison").details["expected"] == "greater than 5"
    assert failed(result, "test_membership").details["expected"] == "one of (4, 8)"
    unclear = failed(result, "test_unclear").details
    assert (unclear["left"], unclear["right"]) == ("1", "2") and "expected" not in unclear
    own = failed(result, "test_with_the_tests_own_message")
    assert own.message.startswith("AssertionError: zero doubles to zero\ntests.py, line ")
    assert (own.details["message"], own.details["got"]) == ("zero doubles to zero", "1")


@needs_bwrap
def test_a_calls_arguments_are_shown_with_their_values(bwrap):
    tests = """
    def test_each():
        for n in range(3):
            assert double(n) == 2 * n

    def test_result_set_earlier():
        xs = [1, 2]
        out = double(len(xs))
        assert out == 4

    def test_bare_call():
        assert bool(double(0) % 2 == 0)
    """
    result = run(DOUBLE_WRONG, tests)
    assert failed(result, "test_each").details["call"] == "double(n), where n = 0"
    earlier = failed(result, "test_result_set_earlier").details
    assert earlier["call"] == "double(len(xs)), where xs = [1, 2]"
    assert (earlier["expected"], earlier["got"]) == ("4", "5")
    assert facts(failed(result, "test_bare_call")) == {
        "call": "bool(double(0) % 2 == 0)", "got": "False",
    }  # fmt: skip


# --- Floats: the tolerance ----------------------------------------------------------------------


@needs_bwrap
def test_float_comparisons_show_the_tolerance(bwrap):
    code = """
    import numpy as np

    def third(x):
        return x / 3 + 1e-4

    def scaled(n):
        return np.arange(n) * 1.0001
    """
    tests = """
    import math
    import numpy as np

    def test_np_isclose_defaults():
        assert np.isclose(third(0.9), 0.3)

    def test_np_allclose_given_atol():
        got = scaled(50)
        assert np.allclose(got, np.arange(50), atol=1e-3)

    def test_all_of_isclose():
        assert np.isclose(scaled(4), [0, 1, 2, 3]).all()

    def test_math_isclose():
        assert math.isclose(third(0.9), 0.3, rel_tol=1e-6)

    def test_abs_difference():
        assert abs(third(0.9) - 0.3) < 1e-6
    """
    result = run(code, tests)
    isclose = failed(result, "test_np_isclose_defaults").details
    assert isclose["call"] == "third(0.9)"
    assert (isclose["expected"], isclose["got"]) == ("0.3", "0.3001")
    assert isclose["tolerance"] == "rtol=1e-05 (default), atol=1e-08 (default)"
    assert isclose["difference"] == "|got - expected| = 0.0001, allowed 3.01e-06"

    allclose = failed(result, "test_np_allclose_given_atol").details
    assert allclose["call"] == "scaled(50)"
    assert allclose["tolerance"] == "rtol=1e-05 (default), atol=0.001"
    assert allclose["got"] == (
        "array([0, 1.0001, 2.0002, ..., 47.0047, 48.0048, 49.0049], shape=(50,), dtype=float64)"
    )
    assert allclose["difference"].startswith(
        "38 of 50 values differ beyond the tolerance; the largest |got - expected| is 0.0049 "
        "at index 49"
    )
    assert "3 of 4 values differ" in failed(result, "test_all_of_isclose").details["difference"]

    math_isclose = failed(result, "test_math_isclose").details
    assert math_isclose["tolerance"] == "rel_tol=1e-06, abs_tol=0.0 (default)"
    absolute = failed(result, "test_abs_difference").details
    assert absolute["tolerance"] == "|got - expected| < 1e-06"
    assert absolute["difference"] == "|got - expected| = 0.0001"
    assert (absolute["call"], absolute["expected"]) == ("third(0.9)", "0.3")


# --- What the code printed ----------------------------------------------------------------------


@needs_bwrap
def test_what_a_test_printed_is_shown_with_it_and_bounded(bwrap):
    code = """
    def double(x):
        print("doubling", x)
        return 2 * x + 1

    def chatty():
        print("start")
        for i in range(20_000):
            print("line", i)
        print("the end")
        return 0
    """
    tests = """
    def test_quiet_pass():
        assert double(1) == 3

    def test_one():
        assert double(5) == 10

    def test_loud():
        assert chatty() == 1
    """
    result = run(code, tests, limits=runner.Limits(cpu_seconds=3, wall_seconds=8))
    assert result.tests[0].passed and result.tests[0].details == {}
    assert failed(result, "test_one").details["printed"] == "doubling 5\n"  # its own output only
    printed = failed(result, "test_loud").details["printed"]
    assert printed.startswith("start\nline 0\n") and printed.endswith("line 19999\nthe end\n")
    assert "bytes not shown" in printed and len(printed) <= runner_report.PRINTED_CAP
    assert "doubling 1\ndoubling 5\nstart\n" in result.stdout  # the whole run's output, as before


# --- Errors: the user's line first --------------------------------------------------------------


@needs_bwrap
def test_an_error_names_the_solution_line_then_the_tests_call(bwrap):
    code = """
    def pick(xs, n):
        return xs[n]

    def fib(n):
        return fib(n - 1) + fib(n - 2)
    """
    tests = """
    def test_index():
        assert pick([1, 2], 5) == 1

    def test_recursion():
        fib(3)
    """
    result = run(code, tests)
    lines = failed(result, "test_index").message.splitlines()
    assert lines == [
        "IndexError: list index out of range",
        "solution.py, line 3: return xs[n]",
        f"called from tests.py, line {line_of(tests, 'assert pick(')}: assert pick([1, 2], 5) == 1",
    ]
    recursion = failed(result, "test_recursion").message.splitlines()
    assert recursion[0].startswith("RecursionError: maximum recursion depth exceeded")
    assert recursion[1].startswith("solution.py, line 6: return fib(n - 1) + fib(n - 2)  (and ")
    assert recursion[2].startswith("called from tests.py")
    assert "harness" not in "\n".join(lines + recursion)


# --- Rewritten asserts behave as written --------------------------------------------------------


@needs_bwrap
def test_each_sub_expression_is_evaluated_once(bwrap):
    code = """
    calls = []

    def bump(tag):
        calls.append(tag)
        return len(calls)
    """
    tests = """
    import solution

    def expect_failure(check):
        try:
            check()
        except AssertionError:
            return
        raise RuntimeError("the assert passed")

    def test_counts():
        def compare():
            assert bump("a") == 99
        def conjunction():
            assert bump("b") == 2 and bump("c") == 99
        def short_circuit():
            assert bump("d") == 0 and bump("never") == 5
        def chain():
            assert 0 < bump("e") < 5 < bump("never")
        def close():
            import math
            assert math.isclose(bump("f"), 0, abs_tol=bump("g") * 0)
        for check in (compare, conjunction, short_circuit, chain, close):
            expect_failure(check)
        assert solution.calls == ["a", "b", "c", "d", "e", "f", "g"]

    def test_the_value_shown_is_the_one_compared():
        assert bump("h") == 0
    """
    result = run(code, tests)
    assert result.tests[0].passed, result.tests[0].message
    shown = failed(result, "test_the_value_shown_is_the_one_compared").details
    assert shown["got"] == "8"  # evaluated once: the 8th call, not a 9th for the message


@needs_bwrap
def test_asserts_keep_their_meaning_lines_and_names(bwrap):
    code = """
    UNSET, fail, prep = 1, 2, 3  # the helper's names cannot collide with the user's

    def inc(x):
        return x + 1
    """
    tests = """
    import numpy as np

    assert inc(1) == 2  # at module level

    class Holder:
        assert inc(0) == 1

    def test_passing_forms():
        assert (n := inc(1)) == 2 and n == 2
        assert inc(1) is not None
        assert 2 in [inc(1)]
        assert not inc(-1)
        assert all(inc(i) == i + 1 for i in range(3))
        assert np.allclose([inc(0.5)], [1.5])
        assert abs(inc(0.1) - 1.1) < 1e-9
        assert (UNSET, fail, prep) == (1, 2, 3)

    def test_multiline():
        assert inc(
            1
        ) == 3

    def test_raised_by_hand():
        raise AssertionError("by hand")
    """
    result = run(code, tests)
    assert [(t.name, t.passed) for t in result.tests] == [
        ("test_passing_forms", True),
        ("test_multiline", False),
        ("test_raised_by_hand", False),
    ], result.tests[0].message
    multiline = result.tests[1]
    where = f"tests.py, line {line_of(tests, 'assert inc(', exact=True)}: assert inc( 1 ) == 3"
    assert where in multiline.message
    assert (multiline.details["expected"], multiline.details["got"]) == ("3", "2")
    by_hand = result.tests[2]
    assert by_hand.message.splitlines() == [
        "AssertionError: by hand",
        f'tests.py, line {line_of(tests, "raise Assert")}: raise AssertionError("by hand")',
    ]
    assert by_hand.details == {}  # not a rewritten assert: the message says it all

    broken = run(code, "def test_x(:\n    assert inc(1) == 2\n")
    assert "SyntaxError" in broken.error and "tests.py, line 2" in broken.error


def test_the_rewrite_keeps_line_numbers():
    source = "import math\n\ndef test_a():\n    x = 1\n    assert x == (\n        2)\n"
    code, helper = harness.compile_tests(source)
    namespace = {harness.HELPER: helper, "__name__": "tests"}
    exec(code, namespace)
    with pytest.raises(AssertionError) as caught:
        namespace["test_a"]()
    assert traceback.extract_tb(caught.value.__traceback__)[-1].lineno == 5
    assert caught.value._prep_where == "tests.py, line 5: assert x == ( 2)"
    message, details = harness.describe(caught.value, caught.value.__traceback__, {"tests.py"})
    assert details == {
        "assertion": "tests.py, line 5: assert x == ( 2)", "expected": "2", "got": "1",
    }  # fmt: skip
    assert message.splitlines()[:2] == ["AssertionError", "tests.py, line 5: assert x == ( 2)"]


# --- Big and hostile values ---------------------------------------------------------------------


@needs_bwrap
def test_huge_values_are_trimmed(bwrap):
    code = """
    import numpy as np

    def big_list():
        return list(range(1_000_000))

    def big_text():
        return "a" * 1_000_000 + "b"

    def big_array():
        return np.zeros((1000, 1000))

    def big_int():
        return 10 ** 100_000
    """
    tests = """
    import numpy as np

    def test_list():
        assert big_list() == list(range(99_999)) + [-1] + list(range(100_000, 1_000_000))

    def test_text():
        assert big_text() == "a" * 1_000_001

    def test_array():
        assert np.allclose(big_array(), 1)

    def test_int():
        assert big_int() == 1
    """
    result = run(code, tests, limits=runner.Limits(cpu_seconds=5, wall_seconds=15))
    for test in result.tests:
        assert not test.passed
        assert all(len(v) <= harness.FACT_CAP for v in test.details.values()), test.details
        assert len(test.message) <= harness.MAX_MESSAGE
    listed = failed(result, "test_list").details
    assert listed["got"] == "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, ...]"
    assert listed["difference"] == "first difference at index 99999: got 99999, expected -1"
    text = failed(result, "test_text").details
    assert len(text["got"]) <= harness.VALUE_CAP
    assert text["difference"] == "first difference at character 1000000: got 'b', expected 'a'"
    array = failed(result, "test_array").details
    assert "shape=(1000, 1000), dtype=float64" in array["got"] and len(array["got"]) < 400
    assert array["difference"].startswith("1000000 of 1000000 values differ")
    assert failed(result, "test_int").details["got"] == "<int of 332193 bits>"


@needs_bwrap
def test_hostile_reprs_do_not_break_the_run(bwrap):
    code = """
    class Raises:
        def __repr__(self):
            raise RuntimeError("no repr for you")

    class Huge:
        def __repr__(self):
            return "x" * 10_000_000

    class Exits:
        def __repr__(self):
            raise SystemExit(3)

    class Hangs:
        def __repr__(self):
            while True:
                pass

    def make(kind):
        return kind()
    """
    tests = """
    def test_raises():
        assert make(Raises) == 1

    def test_huge():
        assert make(Huge) == 1

    def test_exits():
        assert make(Exits) == 1

    def test_hangs():
        assert make(Hangs) == 1

    def test_after_them():
        assert make(int) == 0
    """
    result = run(code, tests, limits=runner.Limits(cpu_seconds=5, wall_seconds=15))
    assert not result.error
    assert [t.passed for t in result.tests] == [False, False, False, False, True]
    assert failed(result, "test_raises").details["got"].startswith("<Raises instance at 0x")
    huge = failed(result, "test_huge").details["got"]
    assert huge.startswith("xxx") and len(huge) <= harness.VALUE_CAP
    assert failed(result, "test_exits").details["got"] == "<Exits that cannot be shown>"
    hangs = failed(result, "test_hangs")  # given up after a second: the assert line alone
    assert facts(hangs) == {} and "assert make(Hangs) == 1" in hangs.details["assertion"]
    assert 900 < hangs.ms < 3000


# --- SQL ----------------------------------------------------------------------------------------


@needs_bwrap
def test_sql_row_comparison_shows_expected_and_got_rows(bwrap):
    query = "SELECT name, COUNT(*) FROM t GROUP BY name ORDER BY name"
    tests = """
    import sqlite3

    def run(rows):
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE t (name TEXT, v INTEGER)")
        conn.executemany("INSERT INTO t VALUES (?, ?)", rows)
        return conn.execute(QUERY).fetchall()

    def test_sums():
        assert run([("a", 1), ("b", 2), ("b", 3)]) == [("a", 1), ("b", 5)]

    def test_empty():
        assert run([]) == [("none", 0)]
    """
    result = run(query, tests, language="sql")
    sums = failed(result, "test_sums").details
    assert sums["call"] == 'run([("a", 1), ("b", 2), ("b", 3)])'
    assert (sums["expected"], sums["got"]) == ("[('a', 1), ('b', 5)]", "[('a', 1), ('b', 2)]")
    assert sums["difference"] == "first difference at index 1: got ('b', 2), expected ('b', 5)"
    empty = failed(result, "test_empty").details
    assert (empty["got"], empty["difference"]) == ("[]", "got has 0 items, expected has 1 item")


# --- The report: details parsed strictly, old results still load ------------------------------


def collect(raw: str) -> runner.RunResult:
    return runner_report.collect(
        io.BytesIO(raw.encode()), io.BytesIO(b""), io.BytesIO(b""), 0, 1.0, "bwrap",
        runner.Limits(),
    )  # fmt: skip


def report_with(details) -> str:
    test = {"name": "test_a", "passed": False, "message": "m", "ms": 1.0, "details": details}
    return json.dumps({"tests": [test], "error": None})


def test_well_formed_details_are_read():
    details = {"call": "f(1)", "expected": "2", "got": "3", "printed": "p" * 2000}
    result = collect(report_with(details))
    assert result.tests[0].details == details and not result.error
    assert result.as_dict()["tests"][0]["details"] == details  # what a run stores


@pytest.mark.parametrize(
    "details",
    [
        {"got": "x" * (runner_report.DETAIL_CAP + 1)},
        {"printed": "x" * (runner_report.PRINTED_CAP + 1)},
        {"got": 3},
        {"got": ["a"]},
        {"got": {"nested": "x"}},
        {"got": None},
        {"unknown": "x"},
        ["got", "x"],
        "got",
        None,
    ],
    ids=["long", "long-printed", "int", "list", "object", "null", "unknown-key", "list-of",
         "string", "null-details"],
)  # fmt: skip
def test_oversized_or_ill_typed_details_make_an_invalid_report(details):
    result = collect(report_with(details))
    assert result.error == runner_report.INVALID_REPORT and result.tests == []


def test_details_cannot_smuggle_nul_or_lone_surrogates():
    raw = report_with({"got": "a\x00b"}).replace("a\\u0000b", "a\\u0000b\\ud800")
    assert collect(raw).tests[0].details["got"] == "ab?"


def test_results_stored_before_details_still_load(db, alice):
    seed_loop()
    question = make_question(slug="old-run", category="coding", kind="coding", language="python")
    old = {"passed": 0, "total": 1, "all_passed": False, "error": "", "wall_ms": 3.0,
           "tests": [{"name": "test_a", "passed": False, "message": "AssertionError", "ms": 1.0}],
           "stdout": "", "stderr": ""}  # fmt: skip
    run_ = CodeRun.objects.create(
        user=alice, question=question, code="x", kind="submit", status="done", result=old
    )
    result = code_runs.result_of(run_)
    assert result.tests[0].details == {} and result.tests[0].message == "AssertionError"
    caught = review.CatchResult.from_dict({"verdict": "caught", "on_given": old})
    assert caught.on_given.tests[0].details == {}


# --- The question page --------------------------------------------------------------------------


@needs_bwrap
@pytest.mark.django_db
def test_the_question_page_shows_expected_and_got(bwrap, alice_client, alice):
    seed_loop()
    make_question(
        slug="double-it", category="coding", rounds=["coding"], kind="coding",
        language="python", starter="def double(x):\n    pass\n",
        solution="def double(x):\n    return 2 * x\n",
        tests="def test_example():\n    assert double(2) == 4\n",
    )  # fmt: skip
    wrong = 'def double(x):\n    print("<b>hi</b>")\n    return x + 3\n'
    response = alice_client.post(
        reverse("questions:run", args=["double-it"]), {"code": wrong, "mode": "submit"}
    )
    html = response.content.decode()
    assert '<dl class="test-facts">' in html
    for label, value in (("Call", "double(2)"), ("Expected", "4"), ("Got", "5")):
        assert f"<dt>{label}</dt><dd>{value}</dd>" in html
    assert '<dt>Printed</dt><dd class="test-printed">&lt;b&gt;hi&lt;/b&gt;\n</dd>' in html
    assert "<b>hi</b>" not in html  # escaped, never markup

    run_ = CodeRun.objects.get(user=alice)  # the stored run, read back when the page polls
    again = alice_client.get(reverse("questions:run_status", args=[run_.pk])).content.decode()
    assert "<dt>Expected</dt><dd>4</dd>" in again and "<dt>Got</dt><dd>5</dd>" in again


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@needs_bwrap
def test_a_failing_submit_in_the_browser_shows_expected_and_got(bwrap, logged_in_page, live_server):
    seed_loop()
    make_question(
        slug="double-feedback", title="Double it", category="coding", rounds=["coding"],
        kind="coding", language="python", starter="def double(x):\n    pass\n",
        solution="def double(x):\n    return 2 * x\n",
        tests="def test_example():\n    assert double(2) == 4\n\ndef test_zero():\n    assert double(0) == 0\n",
    )  # fmt: skip
    page = logged_in_page
    page.goto(f"{live_server.url}/q/double-feedback/")
    set_code(page, "#code", 'def double(x):\n    print("x is", x)\n    return x + 2\n')
    page.get_by_role("button", name="Submit all tests").click()
    page.get_by_text("All tests: 1 of 2 passed").wait_for()
    facts = page.locator(".test-fail .test-facts")  # the first failure is open
    assert facts.is_visible()
    terms = facts.locator("dt").all_inner_texts()
    values = facts.locator("dd").all_inner_texts()
    assert dict(zip(terms, values, strict=True)) == {
        "Assertion": "tests.py, line 6: assert double(0) == 0", "Call": "double(0)",
        "Expected": "0", "Got": "2", "Printed": "x is 0\n",
    }  # fmt: skip
    raw = page.locator(".test-fail .test-raw").first  # the plain-text message, folded away
    assert not raw.locator("pre").is_visible()
    raw.locator("summary").click()
    assert "expected:   0" in raw.locator("pre").inner_text()
    assert (
        facts.locator("dd")
        .first.evaluate("e => getComputedStyle(e).fontFamily")
        .startswith("ui-monospace")
    )
