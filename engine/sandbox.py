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
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
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
}
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
                   ast.AsyncFunctionDef, ast.Await, ast.Yield, ast.YieldFrom)
MAX_SOURCE_CHARS = 20_000


def check_source(source: str, mode: str = "exec") -> list[str]:
    """Return what is wrong with `source` (empty when it may run)."""
    if len(source) > MAX_SOURCE_CHARS:
        return [f"longer than {MAX_SOURCE_CHARS} characters"]
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as err:
        return [f"syntax error on line {err.lineno}: {err.msg}"]
    problems: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, FORBIDDEN_NODES):
            problems.append(f"'{type(node).__name__}' is not allowed")
        elif isinstance(node, ast.Name) and (node.id.startswith("_") or node.id in FORBIDDEN_NAMES):
            problems.append(f"name '{node.id}' is not allowed")
        elif isinstance(node, ast.Attribute) and (
            node.attr.startswith("_") or node.attr in FORBIDDEN_ATTRIBUTES
        ):
            problems.append(f"attribute '{node.attr}' is not allowed")
        elif isinstance(node, (ast.FunctionDef, ast.Lambda)):
            args = node.args
            for arg in args.posonlyargs + args.args + args.kwonlyargs:
                if arg.arg.startswith("_"):
                    problems.append(f"name '{arg.arg}' is not allowed")
        elif isinstance(node, ast.keyword) and node.arg and node.arg.startswith("_"):
            problems.append(f"keyword '{node.arg}' is not allowed")
    return problems


@lru_cache(maxsize=4096)
def _compiled(source: str, mode: str):
    problems = check_source(source, mode)
    if problems:
        raise SandboxViolation("; ".join(problems))
    return compile(source, "<string>", mode)


def _globals(context: dict, external: dict | None) -> dict:
    scope = {"__builtins__": SAFE_BUILTINS, **SAFE_GLOBALS}
    scope.update(external or {})
    scope.update(context)
    return scope


def evaluate(expression: str, context: dict, external: dict | None = None) -> Any:
    return eval(_compiled(expression.strip(), "eval"), _globals(context, external))


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Plugs the restricted evaluator into SpiffWorkflow's PythonScriptEngine."""

    def evaluate(self, expression, context, external_context=None):
        return evaluate(expression, context, external_context)

    def execute(self, script, context, external_context=None):
        scope = _globals(context, external_context)
        exec(_compiled(script, "exec"), scope)
        # Write back what the script assigned, but not the helpers or functions it defined.
        for key in list(context):
            if key not in scope:
                del context[key]
        for key, value in scope.items():
            if key == "__builtins__" or key in SAFE_GLOBALS or callable(value):
                continue
            if external_context and key in external_context:
                continue
            context[key] = copy.deepcopy(value) if isinstance(value, (dict, list)) else value
        return True

    def call_service(self, context, **kwargs):
        raise SandboxViolation("service tasks are not supported")
