"""docs/settings.md documents every KEDJA_* setting the code reads from the environment, and
names none that the code does not have.

The code is read, not run: its syntax trees are searched for reads of `os.environ` /
`os.getenv` with a KEDJA_* name, whether the name is written out, built in an f-string over a
literal loop (`f"KEDJA_{name.upper()}"` in `EngineConfig.from_env`), or passed to a helper
that reads the environment with its parameter (`setting(app, "KEDJA_LOGIN_LIMIT")`). Every other
KEDJA_* string of the code (the app's own config keys) must be documented too."""
from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS_DOC = ROOT / "docs" / "settings.md"
PRODUCT_CODE = ("engine", "api", "forms", "goteborg")  # what the service reads at run time
ALL_CODE = (*PRODUCT_CODE, "tests", "bench")  # where a documented name may come from
NAME = re.compile(r"KEDJA_[A-Z0-9_]+")
WHOLE_NAME = re.compile(r"^KEDJA_[A-Z0-9_]+$")


def _python_files(folders) -> list[Path]:
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py")
                  if ".venv" not in path.parts and "node_modules" not in path.parts)


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _is_os_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and (
        isinstance(node.value, ast.Name) and node.value.id == "os")


def _environment_key(node: ast.AST) -> ast.AST | None:
    """The key expression of an environment read at `node`, if it is one."""
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("get", "pop") and _is_os_environ(func.value):
            return node.args[0]
        if isinstance(func, ast.Attribute) and func.attr == "getenv" and (
                isinstance(func.value, ast.Name) and func.value.id == "os"):
            return node.args[0]
    if isinstance(node, ast.Subscript) and _is_os_environ(node.value):
        return node.slice
    if isinstance(node, ast.Compare) and len(node.comparators) == 1 and _is_os_environ(node.comparators[0]):
        return node.left
    return None


def _loop_values(variable: str, node: ast.AST, parents: dict) -> list[str]:
    """The literal strings a `for` around `node` binds to `variable`."""
    scope = parents.get(node)
    while scope is not None:
        if isinstance(scope, ast.For) and isinstance(scope.iter, (ast.Tuple, ast.List)):
            target = scope.target
            if isinstance(target, ast.Name) and target.id == variable:
                return [item.value for item in scope.iter.elts if isinstance(item, ast.Constant)]
            if isinstance(target, ast.Tuple):
                names = [t.id if isinstance(t, ast.Name) else None for t in target.elts]
                if variable in names:
                    index = names.index(variable)
                    return [item.elts[index].value for item in scope.iter.elts
                            if isinstance(item, ast.Tuple) and isinstance(item.elts[index], ast.Constant)]
        scope = parents.get(scope)
    return []


def _expand(key: ast.JoinedStr, parents: dict) -> list[str]:
    """f"KEDJA_{name.upper()}" inside `for name in ("a", "b")` -> KEDJA_A, KEDJA_B."""
    names = [""]
    for part in key.values:
        if isinstance(part, ast.Constant):
            names = [name + str(part.value) for name in names]
            continue
        value, upper = part.value, False
        if (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "upper"
                and not value.args):
            value, upper = value.func.value, True
        if not isinstance(value, ast.Name):
            return []
        options = _loop_values(value.id, key, parents)
        if not options:
            return []
        names = [name + (option.upper() if upper else option) for name in names for option in options]
    return names


def _enclosing_function(node: ast.AST, parents: dict) -> ast.FunctionDef | None:
    scope = parents.get(node)
    while scope is not None and not isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
        scope = parents.get(scope)
    return scope


def environment_settings(folders=PRODUCT_CODE) -> tuple[set[str], list[str]]:
    """The KEDJA_* names the code reads from the environment, and the reads it could not resolve."""
    found: set[str] = set()
    unresolved: list[str] = []
    helpers: set[str] = set()  # functions that read the environment with a parameter
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in _python_files(folders)}
    for path, tree in trees.items():
        parents = _parents(tree)
        for node in ast.walk(tree):
            key = _environment_key(node)
            if key is None:
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                if key.value.startswith("KEDJA_"):
                    found.add(key.value)
            elif isinstance(key, ast.JoinedStr):
                first = key.values[0] if key.values else None
                if isinstance(first, ast.Constant) and str(first.value).startswith("KEDJA_"):
                    expanded = _expand(key, parents)
                    found.update(expanded)
                    if not expanded:
                        unresolved.append(where)
            elif isinstance(key, ast.Name):
                function = _enclosing_function(node, parents)
                if function is not None and key.id in [a.arg for a in function.args.args]:
                    helpers.add(function.name)
                # else: a name read from elsewhere (e.g. a loop over the whole environment)
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
                if called in helpers:
                    found.update(arg.value for arg in node.args
                                 if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                                 and WHOLE_NAME.match(arg.value))
    return found, unresolved


def string_names(folders) -> set[str]:
    """Every KEDJA_* string literal of the code (settings, and the app's own config keys)."""
    names: set[str] = set()
    for path in _python_files(folders):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and WHOLE_NAME.match(node.value):
                names.add(node.value)
    return names


def documented() -> set[str]:
    return set(NAME.findall(SETTINGS_DOC.read_text(encoding="utf-8")))


def test_the_search_finds_the_settings_it_must():
    """A guard on the search itself: settings read in each of its three ways."""
    found, _ = environment_settings()
    assert {"KEDJA_DATABASE_URL", "KEDJA_SCRIPT_CPU_SECONDS", "KEDJA_SCREENING_MIN_MONTHS",
            "KEDJA_LOGIN_LIMIT", "KEDJA_OIDC_ISSUER", "KEDJA_SECRET_KEY"} <= found


def test_every_environment_read_is_understood():
    _, unresolved = environment_settings()
    assert not unresolved, f"KEDJA_* names built in a way this test cannot follow, at {unresolved}"


def test_every_setting_read_from_the_environment_is_documented():
    found, _ = environment_settings()
    missing = sorted(found - documented())
    assert not missing, f"add these settings to docs/settings.md: {missing}"


def test_every_kedja_name_of_the_code_is_documented():
    missing = sorted(string_names(PRODUCT_CODE) - documented())
    assert not missing, f"add these names to docs/settings.md: {missing}"


def test_every_documented_name_exists_in_the_code():
    in_code = string_names(ALL_CODE) | environment_settings(ALL_CODE)[0]
    stale = sorted(documented() - in_code)
    assert not stale, f"docs/settings.md names settings the code does not have: {stale}"
