"""The restricted language of diagrams: what scripts and expressions may say, and how an
expression runs inside the server.

Diagrams come from users, and SpiffWorkflow's default environment is plain `eval`/`exec`.
Every source text is parsed and its AST checked before it is compiled: no imports, no names
or attributes with a leading underscore (which closes the `__class__`/`__globals__` routes),
no frame or generator internals, no `str.format` (it reads attributes by name), and only a
small table of builtins. The check runs at deploy time on every expression in the diagram,
and again, cached, before each run.

Two kinds of source, two ways of running (see docs/scripts.md):
- *Expressions* (conditions, correlation, timers, lane rules, payloads) run in the server
  process, so their language is cut down to one that ends quickly: no statements (eval mode),
  no lambdas or `:=`, no comprehension inside another, no format widths; every `**`, `*`, `<<`,
  `+` and `%` goes through a guard that refuses results over a size limit before computing
  them; and a line budget counts comprehension passes.
- *Scripts* (script tasks) may loop, so they run in a separate worker process under limits
  the operating system enforces (engine/script_pool.py); `run_script` is what that worker
  runs. Nothing inside a script can lift a limit it does not hold itself.
- A script that is only assignments, `name = expression` on each line, each expression one
  that would be allowed as an expression, can do nothing an expression cannot: it runs in the
  server as those expressions would, under one budget for the whole script
  (`run_assignments`), and leaves the same data a worker would.
"""
from __future__ import annotations

import ast
import copy
import re
import sys
import time
import traceback
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from .errors import SandboxViolation
from .stepping import CityDate, CityDatetime, current_settings_view, step_context

SAFE_BUILTINS: dict[str, Any] = {
    name: __builtins__[name] if isinstance(__builtins__, dict) else getattr(__builtins__, name)
    for name in (
        "abs", "all", "any", "bool", "dict", "enumerate", "filter", "float", "int", "isinstance",
        "len", "list", "map", "max", "min", "range", "reversed", "round", "set", "sorted", "str",
        "sum", "tuple", "zip", "True", "False", "None", "ValueError", "KeyError",
    )
}
SAFE_GLOBALS: dict[str, Any] = {
    "date": CityDate, "datetime": CityDatetime, "timedelta": timedelta, "timezone": timezone,
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
# In expressions only: string methods that pad to a width the expression chooses (one call
# could ask for gigabytes; scripts have a memory limit for that, expressions do not).
PADDING_ATTRIBUTES = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})
FORBIDDEN_NODES = (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.ClassDef,
                   ast.AsyncFunctionDef, ast.Await, ast.Yield, ast.YieldFrom,
                   # class patterns read attributes by name (`case str(format=f)`), unseen as Attribute
                   ast.Match)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
MAX_SOURCE_CHARS = 20_000
# An expression may take this many traced lines (comprehension passes) and this much time.
MAX_LINES = 200_000
MAX_SECONDS = 2.0
# Sizes an expression's arithmetic may produce: items of a sequence, bits of an integer.
MAX_RANGE = 1_000_000
MAX_ITEMS = 1_000_000
MAX_INT_BITS = 100_000
SCRIPT_FILENAME = "<string>"  # SpiffWorkflow finds the failing line of a script by this name


def _identifier_problem(node: ast.AST, field: str, ident: str, mode: str) -> str | None:
    """Every identifier in the tree is checked, whatever node holds it."""
    if ident.startswith("_"):
        return f"'{ident}' is not allowed (no names with a leading underscore)"
    if field in ("attr", "kwd_attrs"):
        if ident in FORBIDDEN_ATTRIBUTES or (mode == "eval" and ident in PADDING_ATTRIBUTES):
            return f"attribute '{ident}' is not allowed"
        return None
    if isinstance(node, ast.keyword):
        return None
    return f"name '{ident}' is not allowed" if ident in FORBIDDEN_NAMES else None


IDENTIFIER_FIELDS = ("id", "attr", "arg", "name", "names", "kwd_attrs", "asname", "module")


def _expression_problems(tree: ast.AST) -> list[str]:
    """What keeps an expression from being sure to end soon."""
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Lambda):
            problems.append("'lambda' is not allowed in an expression (write a script task)")
        elif isinstance(node, ast.NamedExpr):
            problems.append("':=' is not allowed in an expression (write a script task)")
        elif isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            problems.append("format specifications ('{x:...}') are not allowed in an expression")
        elif isinstance(node, COMPREHENSIONS):
            if len(node.generators) > 1:
                problems.append("a comprehension may have one 'for' in an expression (write a script task)")
            inner = [n for n in ast.walk(node) if isinstance(n, COMPREHENSIONS) and n is not node]
            if inner:
                problems.append("a comprehension inside another is not allowed in an expression "
                                "(write a script task)")
    return problems


def check_source(source: str, mode: str = "exec") -> list[str]:
    """Return what is wrong with `source` (empty when it may run). `mode` "eval" is an
    expression (run in the server, cut down further), "exec" a script (run in a worker)."""
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
                if isinstance(ident, str) and (problem := _identifier_problem(node, field, ident, mode)):
                    problems.append(problem)
    if mode == "eval":
        problems.extend(_expression_problems(tree))
    return list(dict.fromkeys(problems))


# --- guarded arithmetic (expressions) -------------------------------------------------------
def _too_big(what: str) -> SandboxViolation:
    return SandboxViolation(f"uttrycket stoppades: {what} blir större än gränsen")


def _sized(value: Any) -> bool:
    return isinstance(value, (str, list, tuple, bytes))


def _int(value: Any) -> bool:
    return isinstance(value, int)  # bool too, harmlessly


def _guard_pow(left, right):
    if _int(left) and _int(right) and right > 0 and abs(left) > 1 and left.bit_length() * right > MAX_INT_BITS:
        raise _too_big("potensen")
    return left ** right


def _guard_mult(left, right):
    if _int(left) and _int(right):
        if left.bit_length() + right.bit_length() > MAX_INT_BITS:
            raise _too_big("produkten")
    elif _sized(left) and _int(right) or _sized(right) and _int(left):
        sequence, times = (left, right) if _sized(left) else (right, left)
        if times > 0 and len(sequence) * times > MAX_ITEMS:
            raise _too_big("den upprepade texten eller listan")
    return left * right


def _guard_lshift(left, right):
    if _int(left) and _int(right) and right > 0 and left.bit_length() + right > MAX_INT_BITS:
        raise _too_big("talet")
    return left << right


def _guard_add(left, right):
    if _sized(left) and _sized(right) and len(left) + len(right) > MAX_ITEMS:
        raise _too_big("den sammanfogade texten eller listan")
    return left + right


_WIDTH = re.compile(r"%[-+ #0]*(\*|\d{5,})|\.(\*|\d{5,})")


def _guard_mod(left, right):
    if isinstance(left, str) and _WIDTH.search(left):
        raise _too_big("fältbredden i %-formateringen")
    return left % right


GUARDS = {ast.Pow: "_kedja_pow", ast.Mult: "_kedja_mult", ast.LShift: "_kedja_lshift",
          ast.Add: "_kedja_add", ast.Mod: "_kedja_mod"}
GUARD_FUNCTIONS = {"_kedja_pow": _guard_pow, "_kedja_mult": _guard_mult, "_kedja_lshift": _guard_lshift,
                   "_kedja_add": _guard_add, "_kedja_mod": _guard_mod}


class _GuardArithmetic(ast.NodeTransformer):
    """`a ** b` becomes `_kedja_pow(a, b)`, and so on: the guard sees the operands first.
    The names have a leading underscore, so no diagram can name or replace them."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        guard = GUARDS.get(type(node.op))
        if guard is None:
            return node
        return ast.copy_location(ast.Call(ast.Name(guard, ast.Load()), [node.left, node.right], []), node)


@lru_cache(maxsize=4096)
def _compiled(source: str, mode: str):
    problems = check_source(source, mode)
    if problems:
        raise SandboxViolation("; ".join(problems))
    if mode == "exec":
        return compile(source, SCRIPT_FILENAME, mode)
    tree = ast.fix_missing_locations(_GuardArithmetic().visit(ast.parse(source, mode=mode)))
    return compile(tree, SCRIPT_FILENAME, mode)


class _Budget:
    """Counts the lines an expression runs (each comprehension pass is one) and stops it past
    the budget. Expressions have no `try`, so nothing inside them can catch the stop."""

    def __init__(self) -> None:
        self.lines = 0
        self.deadline = time.monotonic() + MAX_SECONDS

    def on_call(self, frame, event, arg):
        return self.on_line if frame.f_code.co_filename == SCRIPT_FILENAME else None

    def on_line(self, frame, event, arg):
        if event == "line":
            self.lines += 1
            if self.lines > MAX_LINES or (self.lines % 1024 == 0 and time.monotonic() > self.deadline):
                raise SandboxViolation(f"uttrycket stoppades: det körde längre än gränsen ({MAX_LINES} steg "
                                       f"eller {MAX_SECONDS} s)")
        return self.on_line


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


def _globals(context: dict, external: dict | None, settings: dict | None = None) -> dict:
    scope = {"__builtins__": SAFE_BUILTINS, **SAFE_GLOBALS, **GUARD_FUNCTIONS}
    # The model's settings (e.g. screening thresholds), read-only, as `settings['name']`.
    scope["settings"] = MappingProxyType(dict(settings)) if settings is not None else current_settings_view()
    scope.update(external or {})
    scope.update(context)
    return scope


def evaluate(expression: str, context: dict, external: dict | None = None) -> Any:
    """Run an expression in this process (see the module's text for why that is safe)."""
    code = _compiled(expression.strip(), "eval")
    previous = sys.gettrace()
    sys.settrace(_Budget().on_call)
    try:
        return eval(code, _globals(context, external))
    finally:
        sys.settrace(previous)


class ScriptFailed(Exception):
    """A script raised: the error as text, with the script's line (tracebacks do not cross
    from the worker process)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message, line)
        self.message, self.line = message, line

    def __str__(self) -> str:
        return self.message


def _failing_line(err: BaseException) -> int:
    lines = [frame.lineno for frame in traceback.extract_tb(err.__traceback__)
             if frame.filename == SCRIPT_FILENAME]
    return lines[-1] if lines else 0


@lru_cache(maxsize=1024)
def _assignments(script: str) -> tuple[tuple[str, str, int], ...] | None:
    """(name, expression, line) for each line of a script made only of `name = expression`
    whose expressions keep to the expression language; None for any other script."""
    if check_source(script, "exec"):
        return None  # the worker refuses it, with the script's own rules and words
    plan = []
    for statement in ast.parse(script, mode="exec").body:
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)):
            return None
        expression = ast.unparse(statement.value)
        if check_source(expression, "eval"):
            return None
        plan.append((statement.targets[0].id, expression, statement.lineno))
    return tuple(plan) or None


def run_assignments(script: str, context: dict, external: dict | None) -> dict | None:
    """Run a script of plain assignments in this process, as its expressions (one budget for
    all of them), and return the task data it leaves, as `run_script` would in a worker; None
    when the script is not one (a worker runs it)."""
    plan = _assignments(script)
    if plan is None:
        return None
    scope, assigned = _globals(context, external), {}
    previous = sys.gettrace()
    sys.settrace(_Budget().on_call)
    try:
        for name, expression, line in plan:
            try:
                scope[name] = assigned[name] = eval(_compiled(expression, "eval"), scope)
            except (SandboxViolation, MemoryError):
                raise
            except Exception as err:
                detail = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
                raise ScriptFailed(detail, line) from None
    finally:
        sys.settrace(previous)
    return _left_data({**context, **assigned}, external)


def _left_data(scope: dict, external: dict | None) -> dict:
    """What a script leaves as task data: plain data only, copied, without its helpers."""
    result = {}
    for key, value in scope.items():
        if key in ("__builtins__", "settings") or key in SAFE_GLOBALS or key in GUARD_FUNCTIONS or callable(value):
            continue
        if external and key in external:
            continue
        if not _storable(value):
            raise SandboxViolation(f"'{key}' holds a {type(value).__name__}, which task data cannot "
                                   "keep (use numbers, text, lists, dicts, dates)")
        result[key] = copy.deepcopy(value) if isinstance(value, (dict, list)) else value
    return result


def run_script(script: str, context: dict, external: dict | None, settings: dict,
               now: datetime | None = None, zone: str | None = None) -> dict:
    """Run a script and return the task data it leaves: what it assigned, without the
    helpers or functions it defined. Runs in a worker process (engine/script_pool.py), at
    the step's moment `now` in the city's `zone`."""
    scope = _globals(context, external, settings)
    try:
        with step_context(now, zone, settings):
            exec(_compiled(script, "exec"), scope)
    except SandboxViolation:
        raise
    except MemoryError:
        raise
    except Exception as err:
        detail = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        raise ScriptFailed(detail, _failing_line(err)) from None
    return _left_data(scope, external)
