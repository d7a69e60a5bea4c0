"""The restricted environment for scripts, conditions and expressions taken from diagrams.

Diagrams come from users, and SpiffWorkflow's default environment is plain `eval`/`exec`.
Here every source text is parsed and its AST checked before it is compiled: no imports, no
names or attributes with a leading underscore (which closes the `__class__`/`__globals__`
routes), no frame or generator internals, no `str.format` (it reads attributes by name), and
only a small table of builtins. The check runs at deploy time on every expression in the
diagram, and again, cached, before each run.
"""
from __future__ import annotations

import ast
import copy
import sys
import time
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from .errors import SandboxViolation

SAFE_BUILTINS: dict[str, Any] = {
    name: __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    for name in (
        "abs", "all", "any", "bool", "dict", "enumerate", "filter", "float", "int", "isinstance",
        "len", "list", "map", "max", "min", "range", "reversed", "round", "set", "sorted", "str",
        "sum", "tuple", "zip", "True", "False", "None", "ValueError", "KeyError",
    )
}
SAFE_GLOBALS: dict[str, Any] = {
    "date": date, "datetime": datetime, "timedelta": timedelta, "timezone": timezone,
    # The model's settings (e.g. screening thresholds), read-only: see `use_settings`.
    "settings": MappingProxyType({}),
}


def use_settings(values: dict) -> None:
    """Make the model's settings readable as `settings['name']` in every expression."""
    SAFE_GLOBALS["settings"] = MappingProxyType(dict(values))
FORBIDDEN_NAMES = frozenset({
    "eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "globals", "locals",
    "vars", "type", "object", "breakpoint", "input", "help", "memoryview", "super", "classmethod",
    "staticmethod", "property", "dir", "id", "hasattr", "exit", "quit", "print",
})
# Attributes without underscores that still reach interpreter internals or read attributes by name.
FORBIDDEN_ATTRIBUTES = frozenset({
    "format", "format_map", "mro", "gi_frame", "gi_code", "gi_yieldfrom", "cr_frame", "cr_code",
    "ag_frame", "ag_code", "f_globals", "f_locals", "f_builtins", "f_back", "f_code", "tb_frame",
    "tb_next", "func_globals", "im_func",
})
FORBIDDEN_NODES = (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.ClassDef,
                   ast.AsyncFunctionDef, ast.Await, ast.Yield, ast.YieldFrom,
                   # class patterns read attributes by name (`case str(format=f)`), unseen as Attribute
                   ast.Match)
MAX_SOURCE_CHARS = 20_000
# A run may take this many traced lines and this much time; a range this many items.
MAX_LINES = 200_000
MAX_SECONDS = 2.0
MAX_RANGE = 1_000_000
SCRIPT_FILENAME = "<string>"  # SpiffWorkflow finds the failing line of a script by this name


def _identifier_problem(node: ast.AST, field: str, ident: str) -> str | None:
    """Every identifier in the tree is checked, whatever node holds it."""
    if ident.startswith("_"):
        return f"'{ident}' is not allowed (no names with a leading underscore)"
    if field in ("attr", "kwd_attrs"):
        return f"attribute '{ident}' is not allowed" if ident in FORBIDDEN_ATTRIBUTES else None
    if isinstance(node, ast.keyword):
        return None
    return f"name '{ident}' is not allowed" if ident in FORBIDDEN_NAMES else None


IDENTIFIER_FIELDS = ("id", "attr", "arg", "name", "names", "kwd_attrs", "asname", "module")


def check_source(source: str, mode: str = "exec") -> list[str]:
    """Return what is wrong with `source` (empty when it may run)."""
    if len(source) > MAX_SOURCE_CHARS:
        return [f"longer than {MAX_SOURCE_CHARS} characters"]
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as err:
        return [f"syntax error on line {err.lineno}: {err.msg}"]
    except (MemoryError, RecursionError, ValueError) as err:
        return [f"cannot be parsed: {type(err).__name__}"]
    problems: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, FORBIDDEN_NODES):
            problems.append(f"'{type(node).__name__}' is not allowed")
        for field, value in ast.iter_fields(node):
            if field not in IDENTIFIER_FIELDS:
                continue
            for ident in value if isinstance(value, list) else [value]:
                if isinstance(ident, str) and (problem := _identifier_problem(node, field, ident)):
                    problems.append(problem)
    return problems


@lru_cache(maxsize=4096)
def _compiled(source: str, mode: str):
    problems = check_source(source, mode)
    if problems:
        raise SandboxViolation("; ".join(problems))
    return compile(source, SCRIPT_FILENAME, mode)


class _Budget:
    """Counts the lines a diagram's code runs and stops it past the budget, so that a
    `while True: pass` fails the step instead of holding a worker forever."""

    def __init__(self) -> None:
        self.lines = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def on_call(self, frame, event, arg):
        return self.on_line if frame.f_code.co_filename == SCRIPT_FILENAME else None

    def on_line(self, frame, event, arg):
        if event == "line":
            self.lines += 1
            if self.lines > MAX_LINES or (self.lines % 1024 == 0 and time.monotonic() > self.deadline):
                raise SandboxViolation(f"stopped: ran longer than the budget ({MAX_LINES} lines or "
                                       f"{MAX_SECONDS} s)")
        return self.on_line


def _run(code, scope: dict):
    previous = sys.gettrace()
    sys.settrace(_Budget().on_call)
    try:
        return eval(code, scope)  # exec-mode code objects run through eval as well
    finally:
        sys.settrace(previous)


def _storable(value: Any, depth: int = 0) -> bool:
    """Whether the value can live in task data (it is serialized with the instance)."""
    if depth > 50:
        return False
    if value is None or isinstance(value, (bool, int, float, str, date, datetime, timedelta)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_storable(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _storable(v, depth + 1) for k, v in value.items())
    return False


def _bounded_range(*args):
    span = range(*args)
    if len(span) > MAX_RANGE:
        raise SandboxViolation(f"range of {len(span)} items is over the limit of {MAX_RANGE}")
    return span


SAFE_BUILTINS["range"] = _bounded_range


def _globals(context: dict, external: dict | None) -> dict:
    scope = {"__builtins__": SAFE_BUILTINS, **SAFE_GLOBALS}
    scope.update(external or {})
    scope.update(context)
    return scope


def evaluate(expression: str, context: dict, external: dict | None = None) -> Any:
    return _run(_compiled(expression.strip(), "eval"), _globals(context, external))


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Plugs the restricted evaluator into SpiffWorkflow's PythonScriptEngine."""

    def evaluate(self, expression, context, external_context=None):
        return evaluate(expression, context, external_context)

    def execute(self, script, context, external_context=None):
        scope = _globals(context, external_context)
        _run(_compiled(script, "exec"), scope)
        # Write back what the script assigned, but not the helpers or functions it defined.
        for key in list(context):
            if key not in scope:
                del context[key]
        for key, value in scope.items():
            if key == "__builtins__" or key in SAFE_GLOBALS or callable(value):
                continue
            if external_context and key in external_context:
                continue
            if not _storable(value):
                raise SandboxViolation(f"'{key}' holds a {type(value).__name__}, which task data cannot "
                                       "keep (use numbers, text, lists, dicts, dates)")
            context[key] = copy.deepcopy(value) if isinstance(value, (dict, list)) else value
        return True

    def call_service(self, context, **kwargs):
        raise SandboxViolation("service tasks are not supported")
