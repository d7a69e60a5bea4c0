"""Storing an instance: SpiffWorkflow's serializer, writing the run state only.

The spec comes from the deployed, cached definition, so it is neither written with every step
nor parsed again with every load; dates in task data are kept as dates. The JSON is stored
compressed (zlib level 1: about a sixth of the bytes for a fraction of a millisecond, written
with every step); a state stored uncompressed by an earlier version (it starts with `{`) is
read as it is.
"""
from __future__ import annotations

import json
import zlib
from datetime import date
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from .script_engine import SCRIPT_ENGINE


class _StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    """Stores the run state only: the spec comes from the deployed, cached definition, so it is
    neither written with every step nor parsed again with every load."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, script_engine=SCRIPT_ENGINE, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_config = dict(SPIFF_CONFIG)
_config[BpmnWorkflow] = _StateOnlyWorkflowConverter
_registry = BpmnWorkflowSerializer.configure(_config)
_registry.register(date, lambda v: {"value": v.isoformat()}, lambda v: date.fromisoformat(v["value"]))
SERIALIZER = BpmnWorkflowSerializer(_registry)


COMPRESSION_LEVEL = 1


def serialize(workflow: BpmnWorkflow) -> bytes:
    return zlib.compress(SERIALIZER.serialize_json(workflow).encode("utf-8"), COMPRESSION_LEVEL)


def state_json(state: bytes) -> bytes:
    """The JSON of a stored state, compressed or (from before compression) not."""
    return state if state[:1] == b"{" else zlib.decompress(state)


def deserialize_state(state: bytes, spec, subprocess_specs: dict) -> BpmnWorkflow:
    dct = json.loads(state_json(state))
    SERIALIZER.migrate(dct)
    return SERIALIZER.from_dict(dct, spec=spec, subprocess_specs=subprocess_specs)
