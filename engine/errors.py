"""Engine exceptions. The API maps each to an HTTP status; background work to a retry or a log."""
from __future__ import annotations

from dataclasses import dataclass, field


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


@dataclass
class Problem:
    """One thing wrong with a diagram: where (file, element, line) and what."""

    message: str
    element_id: str | None = None
    line: int | None = None
    file: str | None = None

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line) if p)
        element = f" [{self.element_id}]" if self.element_id else ""
        return f"{where}{element} {self.message}".strip()


@dataclass
class DeploymentRejected(EngineError):
    """The diagram cannot be deployed; `problems` says why, element by element."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(str(p) for p in self.problems)


class NotFound(EngineError):
    """No such process, instance, task or message (or the caller may not see it)."""


class Forbidden(EngineError):
    """The actor may not do this (e.g. a task of another organisation)."""


class NotYours(Forbidden):
    """The task belongs to another organisation (a caller that may not even see it answers 404)."""


class InvalidState(EngineError):
    """The target exists but is not in a state that allows the command."""


class NotInDemoMode(InvalidState):
    """Only `kedja demo` allows this (moving the clock): elsewhere time is the real time."""


class InvalidInput(EngineError):
    """The command's arguments are malformed; `fields` names each bad field (form data)."""

    def __init__(self, message: str, fields=()) -> None:
        super().__init__(message)
        self.fields = list(fields)


class ConcurrentUpdate(EngineError):
    """Another transaction changed the instance first; retry against the new state."""


class SandboxViolation(EngineError):
    """A script or expression tried something the restricted environment forbids."""


@dataclass
class StepFailed(EngineError):
    """An engine step raised; the instance is now in `error` and the step was rolled back."""

    instance_id: str
    message: str
    element_id: str | None = None

    def __str__(self) -> str:
        return f"instance {self.instance_id} failed at {self.element_id or '?'}: {self.message}"
