"""Every deploy problem the engine writes has a Swedish text for the modeller and the form
editor: the messages are read from engine/*.py (the Problem(...) calls and the sandbox's
refusals), filled in with sample values, and each must match a pattern and keep its values."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from api.web.problem_texts import FALLBACK, known, problem_swedish, sandbox_swedish

ENGINE = Path(__file__).resolve().parents[2] / "engine"
SANDBOX_FUNCTIONS = {"_identifier_problem", "_expression_problems", "check_source"}


def _sample(node: ast.AST, values: list[str]) -> str | None:
    """The text of a string or f-string, each {...} replaced by a sample value of its own."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append(part.value)
            else:
                values.append(f"x{len(values) + 1}y")
                parts.append(values[-1])
        return "".join(parts)
    return None


def _problem_messages() -> list[tuple[str, str, list[str]]]:
    """(where, sample message, its sample values) of every Problem(<string>, ...) in engine/*.py."""
    found = []
    for path in sorted(ENGINE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Problem" and node.args:
                values: list[str] = []
                text = _sample(node.args[0], values)
                if text is not None:
                    found.append((f"{path.name}:{node.lineno}", text, values))
    return found


def _sandbox_messages() -> list[tuple[str, str, list[str]]]:
    """The sandbox's refusals: the sentences (strings with a space) in its checking functions."""
    tree = ast.parse((ENGINE / "sandbox.py").read_text(encoding="utf-8"))
    found = []
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef) and function.name in SANDBOX_FUNCTIONS:
            body = function.body[1:] if ast.get_docstring(function) else function.body
            for statement in body:
                for node in ast.walk(statement):
                    if isinstance(node, ast.JoinedStr | ast.Constant) and not _inside_fstring(node, statement):
                        values: list[str] = []
                        text = _sample(node, values)
                        if text and " " in text:
                            found.append((f"sandbox.py:{node.lineno}", text, values))
    return found


def _inside_fstring(node: ast.AST, root: ast.AST) -> bool:
    return any(isinstance(outer, ast.JoinedStr) and node in ast.walk(outer) and outer is not node
               for outer in ast.walk(root))


PROBLEMS = _problem_messages()
SANDBOX = _sandbox_messages()


def test_the_engine_messages_are_found():
    assert len(PROBLEMS) > 25 and len(SANDBOX) >= 10
    assert any("nothing in the set catches it" in text for _where, text, _values in PROBLEMS)
    assert any("'lambda' is not allowed" in text for _where, text, _values in SANDBOX)


@pytest.mark.parametrize("where,text,values", PROBLEMS, ids=[where for where, _t, _v in PROBLEMS])
def test_every_problem_the_engine_writes_is_said_in_swedish(where, text, values):
    if text == "".join(values[:1]) + ": " + "".join(values[1:2]) and len(values) == 2:
        pytest.skip("SpiffWorkflow's own error (type and text): the fallback shows it")
    said = problem_swedish(text)
    assert known(text), f"{where}: no Swedish text for {text!r}"
    assert not said.startswith(FALLBACK.format("")), said
    assert said != text
    for value in values:  # the names the message mentions are kept
        assert value in said, (where, text, said)


@pytest.mark.parametrize("where,text,values", SANDBOX, ids=[where for where, _t, _v in SANDBOX])
def test_every_sandbox_refusal_is_said_in_swedish_in_an_expression_and_an_attribute(where, text, values):
    assert sandbox_swedish(text) is not None, f"{where}: no Swedish text for {text!r}"
    for message in (f"expression refused: {text}", f"kedja:organisation refused: {text}"):
        said = problem_swedish(message)
        assert said.startswith(("Uttrycket godtas inte: ", "kedja:organisation godtas inte: ")), said
        assert text not in said
        for value in values:
            assert value in said, (where, message, said)


def test_an_unknown_message_keeps_its_text_after_the_fallback():
    said = problem_swedish("Invalid gateway condition in flow_1")
    assert said == "Diagrammet har ett fel här: Invalid gateway condition in flow_1"
    assert not known("Invalid gateway condition in flow_1")


def test_names_are_kept():
    assert problem_swedish("message 'order_placed' is thrown but nothing in the set catches it") == \
        "Meddelandet 'order_placed' skickas, men ingen process tar emot det."
    assert problem_swedish("expression refused: name 'open' is not allowed") == \
        "Uttrycket godtas inte: namnet 'open' är inte tillåtet."
