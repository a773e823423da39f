"""Runs inside the sandbox, before and around the user's code. Standard library only.

Drops root if it has it, applies resource limits, runs the question's tests against the
user's solution, and writes one JSON document of results to the file descriptor it is given.
The user's code shares this process, so nothing here is a secret: it can only lie about its
own results, which harms nobody but that user.

A failing test says what went wrong without pytest: before tests.py runs, each of its `assert`
statements is rewritten (`ast`, line numbers kept) so that a failure carries the values it
compared, each sub-expression still evaluated exactly once: the call, the expected value and
what the code returned, the tolerance of a float comparison. What a test printed is kept
with it, and an error names the line of the user's code it came from.
"""

import ast
import builtins
import contextlib
import errno
import json
import os
import re
import reprlib
import resource
import signal
import sys
import time
import traceback

NOBODY = 65534
MAX_MESSAGE = 2000
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
TMP_MB = None  # the private /tmp's size (bwrap), from the config

VALUE_CAP = 300  # characters of one value shown
FACT_CAP = 600  # characters of one line of details (report.DETAIL_CAP is 1,000)
PRINTED_CAP = 2000  # characters kept of what one test printed: its start and its end
# JSON bytes of details in the whole report: the report file is under RLIMIT_FSIZE (1 MiB).
DETAILS_BUDGET = 300_000
DESCRIBE_SECONDS = 1.0  # wall time for showing the values of one failed assert
# The rewritten asserts' helper and temporaries are named what no Python identifier can be,
# so nothing in the user's code or tests can collide with them (pytest does the same).
HELPER = "@prep"


def drop_privileges(uid):
    if os.getuid() == 0:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    if os.getuid() == 0:
        raise SystemExit("refusing to run user code as root")


def apply_limits(limits):
    def cap(kind, value):
        resource.setrlimit(kind, (value, value))

    # Soft CPU limit raises in the running test (SIGXCPU below); the hard one, a second later, kills.
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_seconds"], limits["cpu_seconds"] + 1))
    cap(resource.RLIMIT_AS, limits["memory_bytes"])
    cap(resource.RLIMIT_NPROC, limits["processes"])
    cap(resource.RLIMIT_FSIZE, limits["file_bytes"])
    cap(resource.RLIMIT_NOFILE, limits["open_files"])
    cap(resource.RLIMIT_CORE, 0)
    # Past the file-size limit a write fails with an error instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    signal.signal(signal.SIGXCPU, _cpu_exceeded)


class CpuLimitExceeded(BaseException):
    pass


def _cpu_exceeded(signum, frame):
    raise CpuLimitExceeded


# ----------------------------------------------------------------------------------------
# Showing values: bounded, and safe against a __repr__ that raises, returns megabytes or hangs


class _TooSlow(BaseException):
    """Showing the values of a failed assert took longer than DESCRIBE_SECONDS."""


class _Shower(reprlib.Repr):
    def __init__(self, compact=False):
        n = 6 if compact else 12
        super().__init__(
            maxlevel=3 if compact else 4, maxtuple=n, maxlist=n, maxarray=n, maxdict=n // 2 + 2,
            maxset=n, maxfrozenset=n, maxdeque=n, maxstring=60 if compact else 200,
            maxlong=40 if compact else 80, maxother=VALUE_CAP,
        )  # fmt: skip
        self.compact = compact

    def repr1(self, x, level):
        np = sys.modules.get("numpy")  # only if the code or the tests imported it
        if np is not None:
            if isinstance(x, np.ndarray):
                return _array_text(np, x, self.compact)
            if isinstance(x, (np.floating, np.integer, np.bool_, np.complexfloating)):
                return str(x)  # 0.30000001, not np.float64(0.30000001)
        return super().repr1(x, level)

    def repr_int(self, x, level):
        try:
            return super().repr_int(x, level)
        except ValueError:  # more digits than int -> str allows
            return f"<int of {x.bit_length()} bits>"


_SHOWERS = {False: _Shower(), True: _Shower(compact=True)}


def _array_text(np, x, compact=False):
    if x.ndim == 1 and x.dtype.kind in "biuf":  # [0, 0.05128205, ...]: no column padding
        edge = 2 if compact else 3
        shown = x if x.size <= 2 * edge + (2 if compact else 6) else None
        items = [_element(v, compact) for v in (x if shown is not None else x[:edge])]
        if shown is None:
            items += ["...", *(_element(v, compact) for v in x[-edge:])]
        return f"array([{', '.join(items)}], shape={x.shape}, dtype={x.dtype})"
    if compact and x.ndim > 1:  # one line: the shape and the first values
        first = np.array2string(np.asarray(x.flat[:3]), precision=4, separator=", ")
        return f"array(shape={x.shape}, dtype={x.dtype}, starting {first[1:-1]}, ...)"
    body = np.array2string(
        x, max_line_width=100, precision=4 if compact else 8, threshold=6 if compact else 12,
        edgeitems=2 if compact else 3, separator=", ",
    )  # fmt: skip
    return f"array({body}, shape={x.shape}, dtype={x.dtype})"


def _element(value, compact):
    if value.dtype.kind == "f":
        return format(float(value), ".4g" if compact else ".8g")
    return str(value)


def show(value, cap=VALUE_CAP, compact=False):
    """A bounded repr of `value` that never raises (but for the CPU limit and the time budget);
    `compact` for values shown beside others (a call's arguments)."""
    try:
        text = _SHOWERS[compact].repr(value)
        if not isinstance(text, str):
            raise TypeError
    except (CpuLimitExceeded, _TooSlow):
        raise
    except BaseException:  # a hostile __repr__ may raise anything
        try:
            text = f"<{type(value).__name__} that cannot be shown>"
        except BaseException:
            text = "<a value that cannot be shown>"
    return text if len(text) <= cap else text[: cap - 1] + "…"


class _time_limit:
    """Raise _TooSlow in the block after `seconds` of wall time, unless the user's code already
    uses SIGALRM (then no limit: the CPU limit still ends a __repr__ that never returns)."""

    def __init__(self, seconds):
        self.seconds, self.armed, self.previous = seconds, False, None

    def _expired(self, signum, frame):
        if self.armed:
            raise _TooSlow

    def __enter__(self):
        unused = signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.SIG_IGN, None)
        if unused and signal.getitimer(signal.ITIMER_REAL)[0] == 0:
            self.previous = signal.signal(signal.SIGALRM, self._expired)
            self.armed = True
            signal.setitimer(signal.ITIMER_REAL, self.seconds)
        return self

    def __exit__(self, *exc):
        if self.armed:
            self.armed = False  # first: a late signal is now ignored
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        return False


_PLAIN = (int, float, complex, str, bytes, bool, type(None))


def _plain(value, depth=0):
    """Whether comparing `value` again runs no code of the user's (builtin types only)."""
    if type(value) in _PLAIN:
        return True
    np = sys.modules.get("numpy")
    if np is not None and isinstance(value, np.generic) and not isinstance(value, np.void):
        return True
    if type(value) in (tuple, list, frozenset) and depth < 3 and len(value) <= 1000:
        return all(_plain(item, depth + 1) for item in value)
    return False


def _items(n):
    return f"{n} item{'' if n == 1 else 's'}"


def difference(x, y, xl, yl):
    """Where two unequal values differ, for values whose reprs may be trimmed."""
    np = sys.modules.get("numpy")
    if np is not None and (isinstance(x, np.ndarray) or isinstance(y, np.ndarray)):
        return _array_difference(np, x, y, xl, yl)
    if type(x) in (list, tuple) and type(y) in (list, tuple):
        parts = []
        if len(x) != len(y):
            parts.append(f"{xl} has {_items(len(x))}, {yl} has {_items(len(y))}")
        common = min(len(x), len(y))
        for i in range(min(common, 100_000)):
            if not (_plain(x[i]) and _plain(y[i])):
                break
            if x[i] != y[i]:
                parts.append(
                    f"first difference at index {i}: {xl} {show(x[i], 120)}, {yl} {show(y[i], 120)}"
                )
                break
        else:
            if common > 100_000:
                parts.append("the first 100000 items are equal")
        return "; ".join(parts)
    if type(x) is dict and type(y) is dict:
        if not (_plain(list(x)) and _plain(list(y))):
            return ""
        missing = [k for k in y if k not in x]
        extra = [k for k in x if k not in y]
        changed = [k for k in x if k in y and _plain(x[k]) and _plain(y[k]) and x[k] != y[k]]
        parts = [
            f"{label} {show(keys, 150)}"
            for label, keys in (
                (f"keys only in {yl}:", missing),
                (f"keys only in {xl}:", extra),
                ("different values at keys", changed),
            )
            if keys
        ]
        return "; ".join(parts)
    if type(x) in (set, frozenset) and type(y) in (set, frozenset):
        if not (_plain(frozenset(x)) and _plain(frozenset(y))):
            return ""
        parts = [f"only in {yl}: {show(y - x, 150)}"] if y - x else []
        return "; ".join(parts + ([f"only in {xl}: {show(x - y, 150)}"] if x - y else []))
    if type(x) is str and type(y) is str and max(len(x), len(y)) > 40:
        i = next(
            (i for i, (a, b) in enumerate(zip(x, y, strict=False)) if a != b), min(len(x), len(y))
        )
        return (
            f"first difference at character {i}: {xl} {show(x[i : i + 20], 60)}, "
            f"{yl} {show(y[i : i + 20], 60)}"
        )
    return ""


def _array_difference(np, x, y, xl, yl, rtol=None, atol=None, equal_nan=False):
    """Shapes or elements that differ (beyond a tolerance, when given) between two arrays."""
    a, b = np.asarray(x), np.asarray(y)
    if a.dtype == object or b.dtype == object:
        return ""
    if a.shape != b.shape:
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            return f"shapes differ: {xl} {a.shape}, {yl} {b.shape}"
        if rtol is None:
            return f"shapes differ: {xl} {a.shape}, {yl} {b.shape}"
    a, b = np.broadcast_arrays(a, b)
    exact = rtol is None
    bad = (a != b) if exact else ~np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    count = int(np.count_nonzero(bad))
    if not count:
        return ""
    text = f"{count} of {a.size} values differ"
    if rtol is not None:
        text += " beyond the tolerance"
    if a.dtype.kind in "biufc" and b.dtype.kind in "biufc":
        kind = np.complex128 if "c" in a.dtype.kind + b.dtype.kind else np.float64
        with np.errstate(all="ignore"):
            gap = np.abs(a.astype(kind) - b.astype(kind))
            at = np.unravel_index(
                int(np.argmax(np.where(bad, np.nan_to_num(gap, nan=np.inf), -1))), a.shape
            )
        where = tuple(int(i) for i in at) if len(at) != 1 else int(at[0])
        text += (
            f"; the largest |{xl} - {yl}| is {_number(gap[at])} at index {where}"
            f" ({xl} {show(a[at], 60)}, {yl} {show(b[at], 60)})"
        )
    else:
        at = np.unravel_index(int(np.argmax(bad)), a.shape)
        where = tuple(int(i) for i in at) if len(at) != 1 else int(at[0])
        text += f"; the first at index {where} ({xl} {show(a[at], 60)}, {yl} {show(b[at], 60)})"
    return text


# ----------------------------------------------------------------------------------------
# Rewriting tests.py's asserts


_EXPECTED_WORDS = {
    "expected", "expect", "exp", "want", "wanted", "truth", "gold", "oracle", "ref",
    "reference", "brute", "naive", "slow", "correct", "before", "original", "orig",
}  # fmt: skip
_GOT_WORDS = {
    "got", "actual", "result", "results", "res", "out", "output", "outputs", "pred", "preds",
    "returned",
}  # fmt: skip
_OPS = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not",
}  # fmt: skip
# The comparison seen from the other side: `0 < loss` expects loss > 0.
_FLIPPED = {
    "==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<=", "in": "contains",
    "not in": "does not contain", "is": "is", "is not": "is not",
}  # fmt: skip
# How the expected side reads: `expected: greater than 0`.
_EXPECTED_AS = {
    "==": "", "!=": "not ", "<": "less than ", "<=": "at most ", ">": "greater than ",
    ">=": "at least ", "in": "one of ", "not in": "none of ", "is": "", "is not": "not ",
    "contains": "to contain ", "does not contain": "not to contain ",
}  # fmt: skip
_CLOSE = {"isclose", "allclose"}
_ABS = {"abs", "fabs", "absolute"}
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.ListComp,
           ast.SetComp, ast.DictComp, ast.GeneratorExp)  # fmt: skip


def _shallow(nodes):
    """The nodes of one scope: nested functions, classes and comprehensions but not their
    insides."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, _SCOPES):
            stack.extend(ast.iter_child_nodes(node))


def _func_name(call):
    func = call.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _words(node):
    words = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            words.update(sub.id.lower().split("_"))
    return words


def _positional(call, count):
    """The call's first `count` positional arguments, or None if it has fewer or a *args."""
    if len(call.args) < count or any(isinstance(a, ast.Starred) for a in call.args[:count]):
        return None
    return call.args[:count]


class _Names:
    """Which names tests.py binds: the rest of those it uses come from `from solution import *`."""

    _BINDERS = frozenset({
        ast.Name, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.arg, ast.alias,
        ast.ExceptHandler, ast.MatchAs, ast.MatchStar, ast.Global, ast.Nonlocal,
    })  # fmt: skip

    def __init__(self, tree):
        self.anywhere, self.module, self.module_values = set(), set(), set()
        self.imported = set()
        # Every node once, without ast.walk's generators: this runs at the first failure.
        stack, binders, AST = [tree], self._BINDERS, ast.AST
        while stack:
            node = stack.pop()
            if type(node) in binders:
                self.anywhere.update(self._bound(node))
            for field in node._fields:
                value = getattr(node, field, None)
                if type(value) is list:
                    stack += [item for item in value if isinstance(item, AST)]
                elif isinstance(value, AST):
                    stack.append(value)
        for node in _shallow(tree.body):
            if type(node) in binders:
                self.module.update(self._bound(node))
            if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                self.module_values.add(node.id)
            if isinstance(node, ast.alias):
                self.imported.update(self._bound(node))

    @staticmethod
    def _bound(node):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            return [node.id]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return [node.name]
        if isinstance(node, ast.arg):
            return [node.arg]
        if isinstance(node, ast.alias) and node.name != "*":
            return [(node.asname or node.name).split(".")[0]]
        if isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            return [node.name]
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            return node.names
        return []

    def from_solution(self, name):
        # (`@` names are the rewrite's own)
        return name not in self.anywhere and not hasattr(builtins, name) and name[0] != "@"

    def uses_solution(self, node):
        return any(
            isinstance(sub, ast.Name) and self.from_solution(sub.id) for sub in ast.walk(node)
        )

    def constant_like(self, node, depth=0):
        """A literal, or built only from literals, module-level names and calls of what tests.py
        imports (`[1, 2]`, `-0.5`, `EXPECTED`, `np.array([1.0])`, `math.pi`)."""
        if depth > 30:
            return False
        deeper = depth + 1
        if isinstance(node, ast.Constant):
            return True
        if isinstance(node, ast.Name):
            return node.id in self.module_values
        if isinstance(node, ast.Attribute):
            return _root(node) in self.module
        if isinstance(node, ast.UnaryOp):
            return self.constant_like(node.operand, deeper)
        if isinstance(node, ast.BinOp):
            return self.constant_like(node.left, deeper) and self.constant_like(node.right, deeper)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return all(self.constant_like(e, deeper) for e in node.elts)
        if isinstance(node, ast.Starred):
            return self.constant_like(node.value, deeper)
        if isinstance(node, ast.Dict):
            parts = [k for k in node.keys if k is not None] + node.values
            return all(self.constant_like(p, deeper) for p in parts)
        if isinstance(node, ast.Subscript):
            return self.constant_like(node.value, deeper) and self.constant_like(node.slice, deeper)
        if isinstance(node, ast.Slice):
            parts = [p for p in (node.lower, node.upper, node.step) if p is not None]
            return all(self.constant_like(p, deeper) for p in parts)
        if isinstance(node, ast.Call):  # of a library, not of a function of the tests'
            root = _root(node.func)
            args = node.args + [k.value for k in node.keywords]
            return (
                root is not None
                and (
                    root in self.imported or (hasattr(builtins, root) and root not in self.anywhere)
                )
                and all(self.constant_like(a, deeper) for a in args)
            )
        return False

    def roles(self, a, b, default=None):
        """'ab' if `a` is what the code returned and `b` the expected value, 'ba' the other way
        round, `default` if unclear. Expected: the literal (or module-level) side; else the side
        not calling the solution; else the side named like `expected` (or unlike `got`)."""
        ca, cb = self.constant_like(a), self.constant_like(b)
        if ca != cb:
            return "ba" if ca else "ab"
        sa, sb = self.uses_solution(a), self.uses_solution(b)
        if sa != sb:
            return "ab" if sa else "ba"
        wa, wb = _words(a), _words(b)
        ea, eb = bool(wa & _EXPECTED_WORDS), bool(wb & _EXPECTED_WORDS)
        if ea != eb:
            return "ba" if ea else "ab"
        ga, gb = bool(wa & _GOT_WORDS), bool(wb & _GOT_WORDS)
        if ga != gb:
            return "ab" if ga else "ba"
        return default


def _location(node):
    """`node`'s position, for the nodes the rewrite builds around it (so no tree-wide
    fix_missing_locations is needed)."""
    return {
        "lineno": node.lineno, "col_offset": node.col_offset,
        "end_lineno": node.end_lineno, "end_col_offset": node.end_col_offset,
    }  # fmt: skip


def _position(node):
    return (node.lineno, node.col_offset, node.end_lineno, node.end_col_offset)


_LOAD, _STORE, _NOT = ast.Load(), ast.Store(), ast.Not()


class _Temps:
    """Temporaries holding the values an assert compares: `(@p0 := double(0)) == (@p1 := 0)`.
    `partial` when a failure may leave some unset (after `and`, in a chain of comparisons)."""

    def __init__(self):
        self.names, self.partial = [], False

    def wrap(self, expr):
        name = f"@p{len(self.names)}"
        self.names.append(name)
        at = _location(expr)
        return ast.NamedExpr(ast.Name(name, _STORE, **at), expr, **at), len(self.names) - 1


class AssertRewriter:
    """Turns `assert test, msg` into

        @p0 = @p1 = @prep.UNSET
        if not <test, its operands wrapped as (@p0 := ...)>:
            raise @prep.fail(<index>, (@p0, @p1), msg)

    on the assert's own line. Each operand is still evaluated once, in the same order, and
    short-circuiting is kept (an operand never reached stays UNSET). `specs[index]` says how to
    describe the values and keeps the nodes they came from: which side is expected, and how
    the value was computed, are worked out on a failure only (`_Analysis`). Only statement lists
    are walked (asserts are statements), which keeps the rewrite cheap."""

    def __init__(self):
        self.specs = []
        self.function = None  # the function holding the statements being rewritten

    def rewrite(self, tree):
        tree.body = self._statements(tree.body)
        return tree

    def _statements(self, statements):
        out = []
        for statement in statements:
            if type(statement) is ast.Assert:
                try:
                    out += self._rewrite(statement)
                except Exception:  # a form not foreseen: the assert stays as it was
                    out.append(statement)
                continue
            outer = self.function
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.function = statement
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(statement, field, None)
                if type(inner) is list and inner:
                    setattr(statement, field, self._statements(inner))
            for part in getattr(statement, "handlers", []) + getattr(statement, "cases", []):
                part.body = self._statements(part.body)
            self.function = outer
            out.append(statement)
        return out

    def _rewrite(self, node):
        temps = _Temps()
        test, plan = self._plan(node.test, temps, 0)
        self.specs.append(
            {"where": _position(node), "plan": plan, "function": self.function, "line": node.lineno}
        )

        at = _location(node)
        values = ast.Tuple([ast.Name(name, _LOAD, **at) for name in temps.names], _LOAD, **at)
        args = [ast.Constant(len(self.specs) - 1, **at), values, *([node.msg] if node.msg else [])]
        fail = ast.Attribute(ast.Name(HELPER, _LOAD, **at), "fail", _LOAD, **at)
        fail = ast.Raise(ast.Call(fail, args, [], **at), None, **at)
        check = ast.If(ast.UnaryOp(_NOT, test, **at), [fail], [], **at)
        if not temps.partial:  # every temporary is set whenever the check fails
            return [check]
        targets = [ast.Name(name, _STORE, **at) for name in temps.names]
        unset = ast.Attribute(ast.Name(HELPER, _LOAD, **at), "UNSET", _LOAD, **at)
        return [ast.Assign(targets, unset, **at), check]

    def _side(self, temps, node):
        wrapped, index = temps.wrap(node)
        return wrapped, {"value": index}

    def _plan(self, expr, temps, depth):
        """(the expression with its temporaries, how to describe a failure)"""
        if isinstance(expr, ast.BoolOp) and isinstance(expr.op, ast.And) and depth < 4:
            temps.partial = True
            parts = []
            for i, value in enumerate(expr.values):
                sub, plan = self._plan(value, temps, depth + 1)
                expr.values[i], index = temps.wrap(sub)
                parts.append((index, plan))
            return expr, ("and", parts)
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
            operand = expr.operand
            expr.operand, side = self._side(temps, operand)
            side["node"] = operand
            return expr, ("not", side)
        if isinstance(expr, ast.Compare):
            planned = self._abs(expr, temps) or self._compare(expr, temps)
            return expr, planned
        if isinstance(expr, ast.Call):
            planned = self._close(expr, temps) or self._equal(expr, temps)
            if planned:
                return expr, planned
        wrapped, side = self._side(temps, expr)
        # A bare call (or a name set by one): its source and value; an `or` or the like: its
        # source says it all.
        plain = isinstance(expr, (ast.Call, ast.Name, ast.Attribute, ast.Subscript))
        side["node"] = expr if plain else None
        return wrapped, ("value" if plain else "other", side)

    def _compare(self, expr, temps):
        operands = [expr.left, *expr.comparators]
        temps.partial |= len(operands) > 2
        wrapped = [self._side(temps, node) for node in operands]
        expr.left, expr.comparators = wrapped[0][0], [node for node, _ in wrapped[1:]]
        pairs = []
        for i, op in enumerate(expr.ops):
            pairs.append(
                {"op": _OPS[type(op)], "a": wrapped[i][1], "b": wrapped[i + 1][1],
                 "nodes": (operands[i], operands[i + 1]), "default": None}
            )  # fmt: skip
        return ("compare", pairs)

    def _abs(self, expr, temps):
        """`abs(a - b) < tol` (also `<=`, `tol > abs(...)`, np.abs, math.fabs, a max of them)."""
        if len(expr.ops) != 1:
            return None
        op = _OPS[type(expr.ops[0])]
        if op not in ("<", "<=", ">", ">="):
            return None
        gap, tol = (expr.left, expr.comparators[0])
        if op in (">", ">="):
            gap, tol = tol, gap
        sub = self._abs_difference(gap, 0)
        if sub is None:
            return None
        sub.left, a = self._side(temps, sub.left)
        sub.right, b = self._side(temps, sub.right)
        wrapped_gap, gap_index = temps.wrap(gap)
        wrapped_tol, tol_index = temps.wrap(tol)
        if op in (">", ">="):
            expr.left, expr.comparators[0] = wrapped_tol, wrapped_gap
            op = _FLIPPED[op]
        else:
            expr.left, expr.comparators[0] = wrapped_gap, wrapped_tol
        return ("abs", {"a": a, "b": b, "gap": gap_index, "tol": tol_index, "op": op,
                        "nodes": (sub.left.value, sub.right.value), "default": "ab"})  # fmt: skip

    def _abs_difference(self, node, depth):
        if not isinstance(node, ast.Call) or depth > 2:
            return None
        name = _func_name(node)
        if name in _ABS and len(node.args) == 1 and not node.keywords:
            arg = node.args[0]
            return arg if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Sub) else None
        if name in ("max", "amax") and not node.keywords:
            if len(node.args) == 1:  # np.max(np.abs(a - b))
                return self._abs_difference(node.args[0], depth + 1)
            if not node.args and isinstance(node.func, ast.Attribute):  # np.abs(a - b).max()
                return self._abs_difference(node.func.value, depth + 1)
        return None

    def _close(self, expr, temps):
        """np.isclose / np.allclose / math.isclose, also inside all(...), np.all(...), .all()."""
        call = expr
        if _func_name(expr) == "all" and not expr.keywords:
            if len(expr.args) == 1 and isinstance(expr.args[0], ast.Call):
                call = expr.args[0]
            elif not expr.args and isinstance(expr.func, ast.Attribute):
                call = expr.func.value
        if not isinstance(call, ast.Call) or _func_name(call) not in _CLOSE:
            return None
        if _positional(call, 2) is None or any(isinstance(a, ast.Starred) for a in call.args):
            return None
        if any(k.arg is None for k in call.keywords):
            return None
        call.func, func = temps.wrap(call.func)
        originals = list(call.args[:2])
        call.args[0], a = self._side(temps, call.args[0])
        call.args[1], b = self._side(temps, call.args[1])
        positional = []
        for i in range(2, len(call.args)):
            call.args[i], index = temps.wrap(call.args[i])
            positional.append(index)
        keywords = {}
        for keyword in call.keywords:
            keyword.value, keywords[keyword.arg] = temps.wrap(keyword.value)
        return ("close", {"func": func, "a": a, "b": b, "positional": positional,
                          "keywords": keywords, "nodes": tuple(originals), "default": "ab"})  # fmt: skip

    def _equal(self, call, temps):
        """np.array_equal(a, b) and helpers named like it (`same(a, b)`, `trees_equal(a, b)`)."""
        name = _func_name(call)
        if not (name in ("array_equal", "array_equiv") or name.startswith("same")
                or name.endswith(("_equal", "_equals"))):  # fmt: skip
            return None
        if _positional(call, 2) is None:
            return None
        originals = list(call.args[:2])
        call.args[0], a = self._side(temps, call.args[0])
        call.args[1], b = self._side(temps, call.args[1])
        return ("equal", {"a": a, "b": b, "nodes": tuple(originals), "default": "ab"})


class _Analysis:
    """What describing a failure needs to know about tests.py, worked out at the first failure
    (a passing run pays nothing for it): whose names are whose, what set a name earlier."""

    def __init__(self, tree):
        self.names = _Names(tree)
        self.found = {}  # function -> its assignments [(line, names, value)]

    def sides(self, entry, spec):
        """(role, call) of a compared pair: which side is what the code returned, and how it
        was computed."""
        if "role" not in entry:
            a, b = entry["nodes"]
            role = self.names.roles(a, b, entry["default"])
            entry["role"], entry["call"] = role, self.call({"ab": a, "ba": b}.get(role), spec)
        return entry["role"], entry["call"]

    def _assignments(self, function):
        if function is None:
            return []
        if function not in self.found:
            found = []
            for sub in _shallow(function.body):
                if isinstance(sub, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and sub.value:
                    targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                    bound = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
                    found.append((sub.lineno, bound, sub.value))
            self.found[function] = sorted(found, key=lambda item: item[0])
        return self.found[function]

    def call(self, node, spec):
        """How the got side was computed: its source if it calls something, else the assignment
        earlier in the function that set the name it reads (when that used the solution); and
        the names its arguments read, shown with their values on failure."""
        if isinstance(node, ast.NamedExpr):
            node = node.value
        if node is None:
            return None
        source = node if any(isinstance(n, ast.Call) for n in ast.walk(node)) else None
        root = _root(node)
        if source is None and root is not None:
            earlier = [
                v
                for line, names, v in self._assignments(spec["function"])
                if line < spec["line"] and root in names
            ]
            if earlier and self.names.uses_solution(earlier[-1]):
                source = earlier[-1]
        if source is None:
            return None
        names = []
        for call in (n for n in ast.walk(source) if isinstance(n, ast.Call)):
            for arg in [*call.args, *(k.value for k in call.keywords)]:
                for sub in ast.walk(arg):
                    if (
                        isinstance(sub, ast.Name)
                        and sub.id not in names
                        and sub.id not in self.names.module
                        and not self.names.from_solution(sub.id)
                        and not hasattr(builtins, sub.id)
                    ):
                        names.append(sub.id)
        return {"source": _position(source), "names": names[:4]}


class _Unset:
    def __repr__(self):
        return "<not evaluated>"


class Assertions:
    """The rewritten asserts' helper, `@prep` in the tests' namespace."""

    UNSET = _Unset()

    def __init__(self, source, tree, specs):
        # Lines as the parser counts them (str.splitlines would also split at \f, \x1c, …).
        self.lines, self.specs = re.split(r"(?<=\n)|(?<=\r)(?!\n)", source), specs
        self.tree, self.analysis = tree, None

    def source(self, position, cap=VALUE_CAP):
        """The source text at an AST node's position (offsets in UTF-8 bytes), on one line."""
        first, start, last, end = position
        text = "".join(self.lines[first - 1 : last]).encode()
        end += len(text) - len(self.lines[last - 1].encode())
        text = re.sub(r"\s*\n\s*", " ", text[start:end].decode("utf-8", "replace"))
        return text if len(text) <= cap else text[: cap - 1] + "…"

    def fail(self, index, values, *msg):
        """The AssertionError to raise, carrying where the assert is and what it compared."""
        exc = AssertionError(*msg)
        spec = self.specs[index]
        exc._prep_where = f"tests.py, line {spec['where'][0]}: {self.source(spec['where'])}"
        frame = sys._getframe(1)
        try:
            with _time_limit(DESCRIBE_SECONDS):
                if self.analysis is None:
                    self.analysis = _Analysis(self.tree)
                exc._prep_facts = [
                    (label, text[:FACT_CAP])
                    for label, text in self._facts(spec, spec["plan"], values, frame)
                    if text
                ]
        except CpuLimitExceeded:
            raise
        except BaseException:  # no details rather than no result
            exc._prep_facts = []
        finally:
            del frame
        return exc

    def _facts(self, spec, plan, values, frame):
        kind, data = plan
        if kind == "and":  # the conjunct that failed: the last one evaluated
            for index, sub in reversed(data):
                if values[index] is not self.UNSET:
                    return self._facts(spec, sub, values, frame)
            return []
        if kind == "compare":  # in a chain, the pair that failed: the last one evaluated
            pair = next(
                (p for p in reversed(data) if values[p["b"]["value"]] is not self.UNSET), None
            )
            if pair is None:
                return []
            a, b = values[pair["a"]["value"]], values[pair["b"]["value"]]
            return self._pair(*self.analysis.sides(pair, spec), a, b, pair["op"], frame)
        if kind == "other":
            return []
        if kind in ("not", "value"):
            return [
                ("call", self._call_text(self.analysis.call(data["node"], spec), frame)),
                ("expected", "a false value" if kind == "not" else ""),
                ("got", show(values[data["value"]])),
            ]
        a, b = values[data["a"]["value"]], values[data["b"]["value"]]
        role, call = self.analysis.sides(data, spec)
        if kind == "equal":
            return self._pair(role, call, a, b, "==", frame)
        if kind == "abs":
            facts = self._pair(role, call, a, b, None, frame)
            gap, tol = values[data["gap"]], values[data["tol"]]
            return [
                *facts,
                ("tolerance", f"|got - expected| {data['op']} {show(tol, 60)}"),
                ("difference", f"|got - expected| = {_number(gap)}"),
            ]
        return self._close_facts(data, values, role, call, a, b, frame)

    def _pair(self, role, call, a, b, op, frame):
        if role is None:
            facts = [("left", show(a)), ("right", show(b))]
            if op == "==":
                facts.append(("difference", _guarded(difference, a, b, "left", "right")))
            return facts
        got, expected = (a, b) if role == "ab" else (b, a)
        if role == "ba" and op:
            op = _FLIPPED[op]
        prefix = _EXPECTED_AS.get(op, "")
        if op in ("is", "is not") and not any(expected is c for c in (None, True, False)):
            prefix += "the same object as "
        facts = [
            ("call", self._call_text(call, frame)),
            ("expected", prefix + show(expected)),
            ("got", show(got)),
        ]
        if op == "==":
            facts.append(("difference", _guarded(difference, got, expected, "got", "expected")))
        return facts

    def _close_facts(self, data, values, role, call, a, b, frame):
        func = values[data["func"]]
        module = getattr(func, "__module__", None) or ""
        if module == "math":
            defaults, order = {"rel_tol": 1e-09, "abs_tol": 0.0}, ()
        elif module.split(".")[0] == "numpy":
            defaults, order = {"rtol": 1e-05, "atol": 1e-08}, ("rtol", "atol")
        else:  # an isclose of the tests' own: only what the call says
            defaults, order = {}, ()
        given = {name: values[index] for name, index in data["keywords"].items()}
        for name, index in zip(order, data["positional"], strict=False):
            given[name] = values[index]
        tolerances = dict(defaults)
        tolerances.update({k: v for k, v in given.items() if k in defaults or not defaults})
        tolerance = ", ".join(
            f"{name}={show(value, 40)}" + ("" if name in given else " (default)")
            for name, value in tolerances.items()
            if name != "equal_nan"
        )
        facts = self._pair(role, call, a, b, None, frame)
        facts.append(("tolerance", tolerance))
        labels = ("got", "expected") if role == "ab" else ("expected", "got")
        gap = _guarded(_close_difference, module, a, b, tolerances, given, labels)
        return [*facts, ("difference", gap)]

    def _call_text(self, call, frame):
        if not call:
            return ""
        where = []
        local = frame.f_locals
        for name in call["names"]:
            if name in local:
                value = local[name]
                if not callable(value) and type(value).__name__ != "module":
                    where.append(f"{name} = {show(value, 160, compact=True)}")
        return self.source(call["source"]) + (", where " + ", ".join(where) if where else "")


def _guarded(describe, *args):
    """describe(*args), or nothing when the values do not lend themselves to it."""
    try:
        return describe(*args)
    except Exception:  # an odd type, a hostile __eq__: the values shown above still say a lot
        return ""


def _close_difference(module, a, b, tolerances, given, labels):
    """How far apart the values are, and how far they may be, as the function measures it:
    math.isclose relative to the larger value, numpy relative to its second argument."""
    np = sys.modules.get("numpy")
    if module == "math" and _real(a) and _real(b):
        allowed = max(tolerances["rel_tol"] * max(abs(a), abs(b)), tolerances["abs_tol"])
        return f"|got - expected| = {abs(a - b):.3g}, allowed {allowed:.3g}"
    if module.split(".")[0] != "numpy" or np is None:
        return ""
    rtol, atol = tolerances["rtol"], tolerances["atol"]
    if _real(a) and _real(b):
        allowed = float(atol) + float(rtol) * abs(float(b))
        return f"|got - expected| = {abs(float(a) - float(b)):.3g}, allowed {allowed:.3g}"
    equal_nan = bool(given.get("equal_nan", False))
    return _array_difference(np, a, b, *labels, rtol, atol, equal_nan)


def _number(value):
    """A difference, to three significant digits when it is a real number."""
    if _real(value):
        return f"{float(value):.3g}"
    return show(value, 120)


def _real(value):
    if type(value) in (int, float, bool):
        return True
    np = sys.modules.get("numpy")
    return np is not None and isinstance(value, (np.integer, np.floating, np.bool_))


def compile_tests(source):
    """tests.py compiled with its asserts rewritten, and the helper they call; as written (and
    no helper) when it does not parse, so the error is the interpreter's own."""
    try:
        tree = ast.parse(source, "tests.py")
        rewriter = AssertRewriter()
        tree = rewriter.rewrite(tree)
        helper = Assertions(source, tree, rewriter.specs)
        return compile(tree, "tests.py", "exec", dont_inherit=True), helper
    except Exception:  # a syntax error, reported by the plain compile below
        return compile(source, "tests.py", "exec", dont_inherit=True), None


# ----------------------------------------------------------------------------------------
# What a test printed, and how a failure reads


class Printed:
    """What one test printed. The runner gives the harness a regular file as stdout, open for
    reading and writing: the test's part of it is read back afterwards, which costs print
    nothing and catches output of any kind (os.write, C extensions). Other stdouts (a pipe)
    show nothing per test."""

    def __init__(self):
        self.stream, self.end = sys.stdout, None
        self.start = self._position()
        try:
            os.pread(1, 0, 0)  # readable too
        except OSError:
            self.start = None

    def _position(self):
        # Full (the file-size limit) or closed: the position is still worth having.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            self.stream.flush()
        try:
            return os.lseek(1, 0, os.SEEK_CUR)
        except OSError:  # a pipe, or fd 1 closed
            return None

    def finish(self):
        """The test is over: stdout is the harness' again (whatever the test set it to)."""
        sys.stdout = self.stream
        if self.start is not None:
            self.end = self._position()

    def text(self):
        if self.start is None or self.end is None or self.end <= self.start:
            return ""
        start, size, half = self.start, self.end - self.start, PRINTED_CAP // 2
        try:
            if size <= 2 * half:
                return os.pread(1, size, start).decode("utf-8", "replace")
            head = os.pread(1, half, start).decode("utf-8", "replace")
            tail = os.pread(1, half, self.end - half).decode("utf-8", "replace")
        except OSError:
            return ""
        return f"{head}\n… {size - 2 * half} bytes not shown …\n{tail}"


def _frame_text(frame):
    return f"{os.path.basename(frame.filename)}, line {frame.lineno}: {(frame.line or '').strip()}"


def _frame_lines(frames, limit=6):
    """The user's frames innermost first (the line that failed, then who called it), a
    recursion's repeated line once."""
    lines, previous, repeats = [], None, 0
    for frame in reversed(frames):
        key = (frame.filename, frame.lineno)
        if key == previous:
            repeats += 1
            continue
        if repeats:
            lines[-1] += f"  (and {repeats} more times)"
        previous, repeats = key, 0
        lines.append(("called from " if lines else "") + _frame_text(frame))
    if repeats:
        lines[-1] += f"  (and {repeats} more times)"
    return lines[:limit]


def _exception_text(exc):
    try:
        text = str(exc)
    except CpuLimitExceeded:
        raise
    except BaseException:  # a hostile __str__
        text = ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _label(key):
    return f"{key}:".ljust(12)


def describe(exc, tb, user_files):
    """(message, details) for a failed test. The message has only the traceback frames that
    belong to the user's code or tests: for a rewritten assert, where it is and what it
    compared (also given apart, as `details`); for an error, the line of solution.py it came
    from first, then the test's line that called it."""
    frames = [f for f in traceback.extract_tb(tb) if os.path.basename(f.filename) in user_files]
    head = _exception_text(exc)
    if isinstance(exc, OSError) and exc.errno in DISK_FULL and TMP_MB is not None:
        head = f"Disk limit exceeded: /tmp holds at most {TMP_MB} MB ({head})"
    where = vars(exc).get("_prep_where") if type(exc) is AssertionError else None
    if not where:
        return "\n".join([head, *_frame_lines(frames)])[:MAX_MESSAGE], {}
    facts = [(key, text) for key, text in vars(exc).get("_prep_facts") or [] if text]
    callers = ["called from " + _frame_text(f)[:200] for f in reversed(frames[:-1])][:3]
    lines = [head, where]
    lines += [_label(key) + text.replace("\n", "\n" + " " * 12) for key, text in facts]
    details = {"assertion": "\n".join([where, *callers])[:900], **dict(facts)}
    if head != "AssertionError":  # the test's own message: `assert ok, "..."`
        details["message"] = head.removeprefix("AssertionError: ")[:FACT_CAP]
    return "\n".join(lines + callers)[:MAX_MESSAGE], details


def main():
    global TMP_MB
    results_fd = int(sys.argv[1])
    with open("config.json") as fh:
        config = json.load(fh)
    TMP_MB = config.get("tmp_mb")
    if config.get("drop_root"):
        drop_privileges(config.get("run_uid") or NOBODY)
    apply_limits(config["limits"])
    out = os.fdopen(results_fd, "w")
    user_files = {"solution.py", "tests.py"}
    report = {"tests": [], "error": None}

    sys.path.insert(0, os.getcwd())
    namespace = {"__name__": "tests", "__file__": "tests.py"}
    with open("tests.py") as fh:
        source = fh.read()
    started = time.perf_counter()
    try:
        code, helper = compile_tests(source)
        if helper is not None:
            namespace[HELPER] = helper
        exec(code, namespace)  # noqa: S102 - this is the sandbox
    except CpuLimitExceeded:
        # Code at the top level of the solution ran until the CPU limit: say that, not the
        # internal exception's name.
        report["error"] = config.get("too_slow") or (
            "CPU time limit exceeded while loading your code, before any test ran: is there an "
            "infinite loop outside a function?"
        )
    except BaseException as exc:
        report["error"] = (
            "Your code could not be loaded:\n" + describe(exc, exc.__traceback__, user_files)[0]
        )
    if report["error"]:
        report["load_ms"] = round((time.perf_counter() - started) * 1000, 2)
        out.write(json.dumps(report))
        return
    report["load_ms"] = round((time.perf_counter() - started) * 1000, 2)

    only = set(config.get("only") or [])
    tests = [
        (name, fn)
        for name, fn in namespace.items()
        if name.startswith("test_")
        and callable(fn)
        and getattr(getattr(fn, "__code__", None), "co_filename", "") == "tests.py"
        and (not only or name in only)
    ]
    max_tests = config.get("max_tests") or len(tests)
    if len(tests) > max_tests:
        report["error"] = f"Only the first {max_tests} of {len(tests)} tests were run."
        tests = tests[:max_tests]
    budget = DETAILS_BUDGET
    for name, fn in tests:
        began = time.perf_counter()
        printed = Printed()
        details, stop = {}, False
        try:
            fn()
            passed, message = True, ""
        except CpuLimitExceeded:
            too_slow = config.get("too_slow")
            passed = False
            message = too_slow or "CPU time limit exceeded: is there an infinite loop?"
            report["error"] = (
                f"{too_slow} The remaining tests were not run."
                if too_slow
                else "CPU time limit exceeded: the remaining tests were not run."
            )
            stop = True
        except MemoryError:
            passed, message = False, "MemoryError: the memory limit was reached"
        except BaseException as exc:
            passed = False
            message, details = describe(exc, exc.__traceback__, user_files)
        finally:
            printed.finish()
        elapsed = 0 if stop else round((time.perf_counter() - began) * 1000, 2)
        entry = {"name": name, "passed": passed, "message": message, "ms": elapsed}
        if not passed:
            if text := printed.text():
                details["printed"] = text
            size = len(json.dumps(details)) if details else 0
            if details and size <= budget:
                entry["details"] = details
                budget -= size
        report["tests"].append(entry)
        if stop:
            break
        # Write as we go: if a later test is killed by a limit, earlier results survive.
        out.seek(0)
        out.truncate()
        out.write(json.dumps(report))  # json.dumps: the C encoder, not dump's Python one
        out.flush()
    out.seek(0)
    out.truncate()
    out.write(json.dumps(report))
    out.flush()


if __name__ == "__main__":
    main()
