"""SpiffWorkflow's BPMN parser: a diagram's executable specs, and its refusals as problems.

engine/definitions.py reads the XML safely and collects Kedja's own metadata; only the specs
SpiffWorkflow runs come from here."""
from __future__ import annotations

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from ..errors import Problem

_REFUSALS = (ValidationException, SpiffWorkflowException, etree.LxmlError, KeyError, ValueError)


def _problem(err: Exception, filename: str | None) -> Problem:
    if isinstance(err, ValidationException):
        return Problem(str(err).split("\n")[0], err.id or None, err.line_number or None, filename)
    return Problem(f"{type(err).__name__}: {err}", file=filename)


class Specs:
    """The specs of one diagram file (its processes and what they call)."""

    def __init__(self) -> None:
        self._parser = SpiffBpmnParser(validator=VALIDATOR)

    def add(self, root: etree._Element, filename: str | None) -> Problem | None:
        """Read the file (already parsed safely); the schema's or the parser's refusal, if any."""
        try:
            self._parser.add_bpmn_xml(root, filename)
        except _REFUSALS as err:
            return _problem(err, filename)
        return None

    def problems(self, keys, filename: str | None) -> list[Problem]:
        """Build each process's spec once to find what only building finds."""
        found = []
        for key in keys:
            try:
                self.spec(key)
                self.subprocess_specs(key)
            except _REFUSALS as err:
                found.append(_problem(err, filename))
        return found

    def spec(self, key: str):
        return self._parser.get_spec(key)

    def subprocess_specs(self, key: str) -> dict:
        return self._parser.get_subprocess_specs(key)
