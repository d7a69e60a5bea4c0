"""Scripts run in worker processes under OS limits: whatever a script does, it is stopped
within the limit, the reason names the limit, and the next script runs on a fresh worker."""
import time

import pytest

from engine.sandbox import ScriptFailed
from engine.script_pool import ScriptLimitExceeded, ScriptLimits, script_limits
from engine.spiff.script_engine import SandboxEnvironment

LIMITS = ScriptLimits(cpu_seconds=1.0, memory_bytes=128 * 1024 * 1024, wall_seconds=3.0, workers=2)


@pytest.fixture(autouse=True)
def small_limits():
    with script_limits(LIMITS):
        yield


@pytest.mark.parametrize("script, limit", [
    ("while True: pass", "processortid|tog längre"),
    ("while True: continue", "processortid|tog längre"),
    # A bare except caught the old line budget's error and switched tracing off.
    ("n = 0\nwhile True:\n    try:\n        while True:\n            n += 1\n    except:\n        pass",
     "processortid|tog längre"),
    # Not plain assignments (those run in the server as expressions, whose guards refuse
    # these values before computing them: tests/unit/test_scripts__assignments.py).
    ("if True:\n    x = 10 ** 10 ** 10", "processortid|minne|tog längre"),
    ("if True:\n    x = 'a' * 10 ** 10", "minne"),
    ("if True:\n    x = [0] * 10 ** 9", "minne"),
])
def test_a_hostile_script_is_stopped_at_its_limit(script, limit):
    started = time.monotonic()
    with pytest.raises(ScriptLimitExceeded, match=limit):
        SandboxEnvironment().execute(script, {})
    assert time.monotonic() - started < LIMITS.wall_seconds + 2
    data = {"amount": 4}
    SandboxEnvironment().execute("total = amount * 2", data)  # the pool recovered
    assert data == {"amount": 4, "total": 8}


def test_a_deep_recursion_fails_the_script_with_its_line():
    with pytest.raises(ScriptFailed, match="RecursionError") as failure:
        SandboxEnvironment().execute("def f(n):\n    return f(n + 1)\nx = f(0)", {})
    assert failure.value.line == 2


def test_an_ordinary_error_names_its_line():
    with pytest.raises(ScriptFailed, match="ZeroDivisionError") as failure:
        SandboxEnvironment().execute("a = 1\nb = a / 0", {})
    assert failure.value.line == 2


def test_scripts_on_other_threads_go_on_while_one_is_stopped():
    import contextvars
    import threading

    results = []
    # The thread runs under this test's limits, as the sweep's threads run under their engine's:
    # a new thread does not inherit context variables, and a pool of another shape would be
    # restarted under the other thread's scripts.
    context = contextvars.copy_context()
    hostile = threading.Thread(target=lambda: context.run(
        pytest.raises, ScriptLimitExceeded, SandboxEnvironment().execute, "while True: pass", {}))
    hostile.start()
    started = time.monotonic()
    for n in range(20):
        data = {"n": n}
        SandboxEnvironment().execute("m = n + 1", data)
        results.append(data["m"])
    assert results == list(range(1, 21))
    assert time.monotonic() - started < 1.0  # the second worker served them meanwhile
    hostile.join(timeout=10)
