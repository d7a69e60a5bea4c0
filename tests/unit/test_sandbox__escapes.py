"""The restricted environment: escapes are refused, ordinary expressions work."""
from datetime import date

import pytest

from engine import sandbox
from engine.errors import SandboxViolation

ESCAPES = [
    "__import__('os')",
    "().__class__.__base__.__subclasses__()",
    "open('/etc/passwd')",
    "eval('1 + 1')",
    "exec('x = 1')",
    "compile('1', 'f', 'eval')",
    "x.__dict__",
    "getattr(x, '__globals__')",
    "(lambda: 0).__globals__",
    "'{0.__class__}'.format(x)",
    "[c for c in ().__class__.__mro__]",
    "(y for y in ()).gi_frame",
    "type(x)",
    "vars()",
]


@pytest.mark.parametrize("source", ESCAPES)
def test_escape_is_refused_by_the_check(source):
    assert sandbox.check_source(source, "eval")


@pytest.mark.parametrize("source", ESCAPES)
def test_escape_is_refused_at_run_time(source):
    with pytest.raises(SandboxViolation):
        sandbox.evaluate(source, {"x": 1})


@pytest.mark.parametrize("script", ["import os", "from os import path", "x = __builtins__", "class A: pass",
                                    "def f(_x): return _x", "global y"])
def test_statement_escape_is_refused_in_scripts(script):
    env = sandbox.SandboxEnvironment()
    with pytest.raises(SandboxViolation):
        env.execute(script, {})


@pytest.mark.parametrize("expression, expected", [
    ("amount * 2 + 1 > 100", True),
    ("{'a': [1, 2]}['a'][1]", 2),
    ("len(items) + min(3, 4) + max(items) + sum(items)", 3 + 3 + 3 + 6),
    ("start + timedelta(days=30)", date(2026, 2, 4)),
    ("(date(2026, 7, 5) - start).days", 181),
    ("sorted(set(items), reverse=True)", [3, 2, 1]),
    ("round(amount / 3, 1)", 23.3),
    ("'Angered' if amount > 10 else 'Lundby'", "Angered"),
])
def test_ordinary_expressions_work(expression, expected):
    data = {"amount": 70, "items": [1, 2, 3], "start": date(2026, 1, 5)}
    assert sandbox.evaluate(expression, data) == expected


def test_scripts_write_back_plain_data_only():
    data = {"amount": 2}
    sandbox.SandboxEnvironment().execute("def double(v):\n    return v * 2\ntotal = double(amount)\n"
                                         "del amount", data)
    assert data == {"total": 4}
