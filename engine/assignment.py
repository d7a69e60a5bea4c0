"""Lane -> role -> organisation. The lane's kedja:organisation expression is evaluated
against the task's data, so each instance finds its own buyer, district or supplier."""
from __future__ import annotations

from dataclasses import dataclass

from . import sandbox
from .definitions import UserTaskInfo


class AssignmentFailed(Exception):
    """The organisation for a task could not be resolved; the step fails with the element id."""

    def __init__(self, element_id: str, message: str) -> None:
        super().__init__(message)
        self.element_id = element_id


@dataclass(frozen=True)
class Assignment:
    lane: str | None
    role: str | None
    organisation: str | None


def resolve(info: UserTaskInfo | None, element_id: str, data: dict) -> Assignment:
    if info is None or info.lane is None:
        return Assignment(None, None, None)
    rule = info.lane
    try:
        organisation = sandbox.evaluate(rule.organisation, data)
    except Exception as err:  # the expression is user input; any failure is the diagram's
        raise AssignmentFailed(element_id, f"lane '{rule.lane}': organisation rule "
                                           f"{rule.organisation!r} failed: {type(err).__name__}: {err}") from err
    if not isinstance(organisation, str) or not organisation.strip():
        raise AssignmentFailed(element_id, f"lane '{rule.lane}': organisation rule {rule.organisation!r} "
                                           f"gave {organisation!r}, not an organisation name")
    return Assignment(rule.lane, rule.role, organisation.strip())
