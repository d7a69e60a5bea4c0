"""A script of plain assignments (`name = expression` on every line, each expression one the
expression language allows) runs in the server as those expressions would, and leaves the task
data a worker would leave. Anything else still goes to a worker."""
from datetime import datetime

import pytest

from engine import sandbox
from engine.errors import SandboxViolation
from engine.stepping import step_context

NOW = datetime(2026, 12, 5, 9, 30)
SETTINGS = {"screening_min_months": 12}
ZONE = "Europe/Stockholm"
DATA = {"amount": 4, "bids": [{"price": 10}], "contract_start": "2026-01-15", "report": {"months": 3}}

ASSIGNMENTS = [
    "total = amount * 2",
    "bids = bids + [{'price': amount}]\ncheapest = min(b['price'] for b in bids)",
    "first_due = (date.fromisoformat(contract_start) + timedelta(days=183)).isoformat()\nchecked = False",
    "long_enough = report['months'] >= settings['screening_min_months']",
    "copy = report\nmonths = copy['months']",
    "today = date.today().isoformat()",
]


def _in_server(script: str, data: dict):
    with step_context(NOW, ZONE, SETTINGS):
        return sandbox.run_assignments(script, dict(data), None)


def _in_worker(script: str, data: dict):
    return sandbox.run_script(script, dict(data), None, SETTINGS, NOW, ZONE)


@pytest.mark.parametrize("script", ASSIGNMENTS)
def test_a_script_of_assignments_leaves_what_a_worker_would(script):
    assert _in_server(script, DATA) == _in_worker(script, DATA)


def test_what_it_assigns_is_a_copy_not_the_task_data_itself():
    left = _in_server("copy = report", DATA)
    assert left["copy"] == DATA["report"] and left["copy"] is not left["report"]


@pytest.mark.parametrize("script", [
    "if amount > 2:\n    total = amount",
    "for bid in bids:\n    total = bid['price']",
    "total = 0\ntotal += amount",
    "first, second = 1, 2",
    "report['months'] = 4",
    "pairs = [(a, b) for a in range(3) for b in range(3)]",  # a script may, an expression may not
    "double = lambda x: x * 2",
    "bids.append(1)",
])
def test_other_scripts_are_left_to_a_worker(script):
    assert _in_server(script, DATA) is None


def test_a_failing_line_is_reported_as_a_worker_reports_it():
    script = "total = amount * 2\nmissing = report['price']"
    with pytest.raises(sandbox.ScriptFailed) as in_server:
        _in_server(script, DATA)
    with pytest.raises(sandbox.ScriptFailed) as in_worker:
        _in_worker(script, DATA)
    assert (in_server.value.message, in_server.value.line) == (in_worker.value.message, in_worker.value.line)
    assert (in_server.value.message, in_server.value.line) == ("KeyError: 'price'", 2)


@pytest.mark.parametrize("script", ["x = 10 ** 10 ** 10", "x = 'a' * 10 ** 10", "x = [0] * 10 ** 9"])
def test_a_huge_value_is_refused_before_it_is_computed(script):
    with pytest.raises(SandboxViolation, match="större än gränsen"):
        _in_server(script, DATA)


def test_the_whole_script_shares_one_budget():
    line = "x = sum(i for i in range(100000))"
    assert _in_server(line, DATA)["x"] == 4999950000  # one line is well inside the budget
    with pytest.raises(SandboxViolation, match="stoppades"):
        _in_server("\n".join([line] * 3), DATA)  # three of them are not


def test_a_value_task_data_cannot_keep_is_refused_as_a_worker_refuses_it():
    with pytest.raises(SandboxViolation, match="'numbers' holds a range") as in_server:
        _in_server("numbers = range(3)", DATA)
    with pytest.raises(SandboxViolation) as in_worker:
        _in_worker("numbers = range(3)", DATA)
    assert str(in_server.value) == str(in_worker.value)
