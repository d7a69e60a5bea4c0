"""The checks of `kedja check` as a function, so the modeller runs exactly the same rules:
each file alone (safe parse, lanes, sandbox, timers), the files as a set (messages have both
ends, same correlation) and every user task's form schema."""
from __future__ import annotations

from forms import FormRegistry

from .definitions import ParsedFile, check_set, parse_file
from .errors import DeploymentRejected, Problem


def form_problems(parsed: dict[str, ParsedFile], registry: FormRegistry) -> list[Problem]:
    """Every user task names a form whose schema exists."""
    problems = []
    for filename, parsed_file in parsed.items():
        for model in parsed_file.models.values():
            for task in model.user_tasks.values():
                if not task.form_key:
                    problems.append(Problem("user task has no kedja:formKey", task.element_id, file=filename))
                elif registry.schema(task.form_key) is None:
                    problems.append(Problem(f"no form schema '{task.form_key}' in {registry.directory}",
                                            task.element_id, file=filename))
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
