"""The checks of diagrams as functions: each file alone (safe parse, lanes, sandbox, timers,
in definitions.py), the files as a set (messages have both ends, same correlation) beside
the other deployed processes, and every user task's form. The Deploy command runs them, so
every door refuses the same diagrams; `kedja check` runs them on files before any deploy."""
from __future__ import annotations

from forms import FormRegistry

from .definitions import ParsedFile, check_set, parse_file
from .errors import DeploymentRejected, Problem
from .form_store import FORM_KEY
from .requirements import requirement_problems


def form_problems(parsed: dict[str, ParsedFile], registry: FormRegistry) -> list[Problem]:
    """Every user task (and start form) names a form whose schema exists."""
    problems = []
    for filename, parsed_file in parsed.items():
        for model in parsed_file.models.values():
            for element_id, key in model.form_uses():
                if not key:
                    problems.append(Problem("user task has no kedja:formKey", element_id, file=filename))
                elif not FORM_KEY.match(key):
                    problems.append(Problem(f"kedja:formKey '{key[:100]}' is not a form name (small "
                                            "letters, digits, _)", element_id, file=filename))
                elif registry.schema(key) is None:
                    problems.append(Problem(f"no form schema '{key}' in {registry.directory}",
                                            element_id, file=filename))
    return problems


def check_diagrams(files: list[tuple[str, bytes | str]], max_bytes: int,
                   registry: FormRegistry) -> tuple[dict[str, ParsedFile], list[Problem]]:
    """Parse and check `files` (name, XML); return what parsed and every problem found."""
    parsed: dict[str, ParsedFile] = {}
    problems: list[Problem] = []
    for filename, xml in files:
        try:
            parsed[filename] = parse_file(xml, max_bytes, filename)
        except DeploymentRejected as rejected:
            problems.extend(rejected.problems)
    if not problems:  # a file that does not parse would make the set look incomplete
        problems.extend(check_set(parsed))
    problems.extend(form_problems(parsed, registry))
    return parsed, problems


def set_problems(parsed: dict[str, ParsedFile], latest, max_bytes: int, requirements=()) -> list[Problem]:
    """Check the deployed files as a set beside the latest versions (`latest`, rows with key,
    version, checksum, bpmn_xml) of the other processes, so that a message that loses its
    catcher is found. Problems that the other processes have already, without these files,
    are not theirs and do not block them. Then what the model packages require
    (`requirements`, engine/requirements.py): a new version keeps the roles its latest declares."""
    latest = list(latest)
    return _set_problems(parsed, latest) + requirement_problems(requirements, parsed, latest)


def _set_problems(parsed: dict[str, ParsedFile], latest) -> list[Problem]:
    deployed_keys = {key for parsed_file in parsed.values() for key in parsed_file.models}
    latest = {row.key: row for row in latest}
    others, seen = {}, set()
    for key, row in sorted(latest.items()):
        if key not in deployed_keys and row.checksum not in seen:
            seen.add(row.checksum)
            others[f"{key} v{row.version}"] = _parsed(row)
    found = check_set({**parsed, **others})
    if not any(problem.file not in parsed for problem in found):
        return found
    before = {f"{key} v{latest[key].version}": _parsed(latest[key]) for key in sorted(deployed_keys) if key in latest}
    existing = {_identity(p) for p in check_set({**before, **others})}
    return [p for p in found if p.file in parsed or _identity(p) not in existing]


def _parsed(row) -> ParsedFile:
    return parse_file(row.bpmn_xml, 1 << 62, f"{row.key} v{row.version}")  # accepted once already


def _identity(problem: Problem) -> tuple:
    return problem.file, problem.element_id, problem.message
