"""SpiffWorkflow at run time: build, step, serialize, and read back what an instance offers
(user tasks), waits for (messages, timers) and throws (messages). Every step runs inside
`engine_time` (engine/spiff/patches.py), at the engine's moment, in its zone, with its settings.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.base import EventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from .. import sandbox
from ..definitions import MessageUse, ProcessModel
from ..errors import InvalidState, NotFound
from .patches import engine_time
from .resets import can_reopen, carriers, reset_limit
from .script_engine import SCRIPT_ENGINE
from .serialization import SERIALIZER, deserialize_state, serialize  # noqa: F401 (serialize: part of the surface)


@dataclass
class CompiledProcess:
    """A deployed version, parsed once and cached."""

    definition_id: int
    key: str
    version: int
    spec: Any
    subprocess_specs: dict
    model: ProcessModel
    form_versions: dict = field(default_factory=dict)  # form key -> the version pinned at deploy


@dataclass(frozen=True)
class OpenUserTask:
    task_id: str
    element_id: str
    name: str | None
    data: dict


@dataclass(frozen=True)
class MessageWait:
    task_id: str
    element_id: str
    message: str
    correlation: dict


@dataclass(frozen=True)
class TimerWait:
    task_id: str
    element_id: str
    due: datetime


@dataclass(frozen=True)
class ThrownMessage:
    name: str
    correlation: dict
    payload: Any


def _normal(value: Any) -> Any:
    """Correlation values compare as text: 42, 42.0 and "42" are the same case number."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def correlation_key(values: dict) -> str:
    """The canonical text of correlation values, compared for equality when routing."""
    normal = {key: _normal(value) for key, value in values.items()}
    return json.dumps(normal, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def deserialize(state: bytes, process: CompiledProcess) -> BpmnWorkflow:
    return deserialize_state(state, process.spec, process.subprocess_specs)


def new_workflow(process: CompiledProcess, data: dict | None = None) -> BpmnWorkflow:
    workflow = BpmnWorkflow(process.spec, process.subprocess_specs, script_engine=SCRIPT_ENGINE)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data or {})
    return workflow


def _settle(workflow: BpmnWorkflow) -> None:
    """Run engine steps until only user tasks and waits are left. SpiffWorkflow refreshes
    timers at the end of its steps, so a timer already due there would wait for the next
    command; running again makes it fire now."""
    workflow.do_engine_steps()
    while True:
        ready = workflow.get_tasks(state=TaskState.READY)
        # A manual task and a plain task pass through, as in Camunda: nobody's inbox shows
        # them, so waiting at them would stall the instance with nothing to do.
        passing = [task for task in ready if task.task_spec.manual and not isinstance(task.task_spec, UserTask)]
        for task in passing:
            task.run()
        if not passing and all(task.task_spec.manual for task in ready):
            return
        workflow.do_engine_steps()


def run_steps(workflow: BpmnWorkflow, now: datetime) -> None:
    with engine_time(now):
        _settle(workflow)


def fire_due_timers(workflow: BpmnWorkflow, now: datetime) -> None:
    with engine_time(now):
        workflow.refresh_timers()
        _settle(workflow)


def complete_user_task(workflow: BpmnWorkflow, task_id: str, data: dict, now: datetime) -> None:
    task = _task(workflow, task_id)
    if not isinstance(task.task_spec, UserTask) or task.state != TaskState.READY:
        raise InvalidState(f"task {task_id} is not an open user task")
    task.data.update(data)
    with engine_time(now):
        task.run()
        _settle(workflow)


def deliver_message(workflow: BpmnWorkflow, task_id: str, payload: Any, now: datetime,
                    message: str | None = None) -> None:
    """Hand the message to the one waiting event that the service's routing chose."""
    task = _task(workflow, task_id)
    if task.state != TaskState.WAITING:
        raise InvalidState(f"event {task.task_spec.bpmn_id} no longer waits")
    definition = task.task_spec.event_definition
    with engine_time(now):
        if isinstance(definition, MultipleEventDefinition):
            # An event-based gateway, or an event with several definitions: record which of
            # its events came (a gateway then runs that event's own catch, which reads the
            # correlation keys from the payload; an event keeps the payload itself).
            chosen = next((d for d in definition.event_definitions
                           if isinstance(d, MessageEventDefinition) and d.name == message), None)
            if chosen is None:
                raise InvalidState(f"event {task.task_spec.bpmn_id} does not wait for message '{message}'")
            if not isinstance(task.task_spec, EventBasedGateway):  # the payload is the task's now
                chosen.update_internal_data(task, BpmnEvent(chosen, payload))
                chosen.update_task_data(task)
            seen = task.internal_data.get("seen_events", []) + [BpmnEvent(chosen, payload)]
            task._set_internal_data(seen_events=seen)
        else:
            # The service did the correlation; SpiffWorkflow's own bookkeeping would evaluate
            # the retrieval expressions on the payload again. So: store the payload for the
            # messageVariable and mark the event fired, as its catch() does otherwise.
            definition.update_internal_data(task, BpmnEvent(definition, payload))
            EventDefinition.catch(definition, task)
        task.task_spec._update(task)
        _settle(workflow)


def start_by_message(process: CompiledProcess, use: MessageUse, payload: Any, now: datetime) -> BpmnWorkflow:
    workflow = new_workflow(process)
    run_steps(workflow, now)
    for task in workflow.get_tasks(state=TaskState.WAITING):
        if task.task_spec.bpmn_id == use.element_id:
            deliver_message(workflow, str(task.id), payload, now, use.message)
            return workflow
    raise InvalidState(f"start event {use.element_id} of {process.key} does not wait for a message")


def _task(workflow: BpmnWorkflow, task_id: str):
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except (ValueError, KeyError, TypeError, TaskNotFoundException):
        task = None
    if task is None:
        raise NotFound(f"task {task_id} is not part of this instance")
    return task


def open_user_tasks(workflow: BpmnWorkflow) -> list[OpenUserTask]:
    return [
        OpenUserTask(str(t.id), t.task_spec.bpmn_id, t.task_spec.bpmn_name, t.data)
        for t in workflow.get_tasks(state=TaskState.READY)
        if isinstance(t.task_spec, UserTask)
    ]


def _expected_correlation(use: MessageUse | None, data: dict) -> dict:
    """The values the waiting instance expects, from its own data: the event's
    processVariableCorrelation expression if it has one, else the variable named like the property."""
    if use is None:
        return {}
    expressions = dict(use.process_expressions)
    return {
        prop: sandbox.evaluate(expressions[prop], data) if prop in expressions else data.get(prop)
        for prop in use.properties
    }


def waits(workflow: BpmnWorkflow, model: ProcessModel) -> tuple[list[MessageWait], list[TimerWait]]:
    messages, timers = [], []
    for task in workflow.event_manager.tasks.values():
        if task.state != TaskState.WAITING or task.id not in task.workflow.tasks:
            continue  # (a reset drops tasks from the tree but not from the event manager)
        definition = task.task_spec.event_definition
        if isinstance(task.task_spec, EventBasedGateway):  # each output is one of its events
            pairs = zip(task.task_spec.outputs, definition.event_definitions, strict=True)
            events = [(output.bpmn_id, event) for output, event in pairs]
        elif isinstance(definition, MultipleEventDefinition):  # one event, several definitions
            events = [(task.task_spec.bpmn_id, event) for event in definition.event_definitions]
        else:
            events = [(task.task_spec.bpmn_id, definition)]
        for element, event in events:
            if isinstance(event, MessageEventDefinition):
                use = (model.catches.get(f"{element}#{event.name}") or model.catches.get(element)
                       or model.message_starts.get(event.name))
                messages.append(MessageWait(str(task.id), element, event.name,
                                            _expected_correlation(use, task.data)))
            elif isinstance(event, TimerEventDefinition):
                due = _timer_due(task._get_internal_data("event_value"))
                if due is not None:
                    timers.append(TimerWait(str(task.id), element, due))
    return messages, timers


def _timer_due(value: Any) -> datetime | None:
    if isinstance(value, dict):  # a cycle: {"cycles": n, "next": iso, "duration": s}
        value = value.get("next") if value.get("cycles", 0) != 0 else None
    if not value:
        return None
    return TimerEventDefinition.get_datetime(value)


def thrown_messages(workflow: BpmnWorkflow) -> list[ThrownMessage]:
    """Messages thrown in the last steps that the instance itself did not catch."""
    thrown = []
    for event in workflow.get_events():
        if isinstance(event.event_definition, MessageEventDefinition):
            flat: dict = {}
            for values in (event.correlations or {}).values():
                flat.update(values)
            thrown.append(ThrownMessage(event.event_definition.name, flat, event.payload))
    return thrown


def due_after(duration_expression: str, data: dict, now: datetime) -> datetime:
    """The due time of a user task from its kedja:dueIn expression (an ISO 8601 duration)."""
    duration = sandbox.evaluate(duration_expression, data)
    parsed = TimerEventDefinition.parse_iso_duration(str(duration))
    return now + TimerEventDefinition.get_timedelta_from_start(parsed, now)


def is_completed(workflow: BpmnWorkflow) -> bool:
    return workflow.completed


def failed_element(err: Exception) -> str | None:
    task = getattr(err, "task", None)
    spec = getattr(task, "task_spec", None)
    return getattr(spec, "bpmn_id", None) or getattr(err, "element_id", None)


def describe_error(err: Exception) -> str:
    notes = getattr(err, "__notes__", None) or []
    text = str(err) or type(err).__name__
    return "; ".join([text] + [n for n in notes if n not in text])[:2000]




def task_outcome(workflow: BpmnWorkflow, task_id: str) -> str:
    """How a user task that is no longer open ended: 'completed' or 'cancelled'."""
    try:
        task = workflow.get_task_from_id(UUID(task_id))
    except (ValueError, KeyError, TaskNotFoundException):
        task = None
    return "completed" if task is not None and task.state == TaskState.COMPLETED else "cancelled"


def current_data(workflow: BpmnWorkflow) -> dict:
    """The data at the instance's front: the task that changed state last (ready, waiting or done)."""
    tasks = workflow.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.COMPLETED)
    if not tasks:
        return dict(workflow.data)
    return dict(max(tasks, key=lambda t: t.last_state_change).data)


def task_data(workflow: BpmnWorkflow, task_id: str) -> dict:
    return dict(_task(workflow, task_id).data)


def cancel(workflow: BpmnWorkflow) -> None:
    workflow.cancel()


def reset_to(workflow: BpmnWorkflow, element_id: str, now: datetime) -> None:
    """Open the last completed user task `element_id` again; what followed it is undone."""
    done = [t for t in workflow.get_tasks(state=TaskState.COMPLETED)
            if t.task_spec.bpmn_id == element_id and isinstance(t.task_spec, UserTask)
            and t.parent is not None]  # a task whose history was cut off cannot be reopened
    if not done:
        raise InvalidState(f"no completed user task '{element_id}' to go back to")
    # The latest; of tasks completed at the same moment (a clock that did not move), the deepest.
    target = max(done, key=lambda t: (t.last_state_change, t.depth))
    if not can_reopen(target) or target.last_state_change <= reset_limit(target.workflow, target.task_spec.name):
        raise InvalidState(f"'{element_id}' is too far back: the instance's saved state keeps only its recent "
                           "history (KEDJA_HISTORY_LEVELS), and what followed could not be undone exactly")
    with engine_time(now):
        workflow.reset_from_task_id(target.id)
        # SpiffWorkflow leaves the catches the reset removed in its index, and its timer refresh
        # would update them (they have no parent any more and fail): index what is left.
        rebuild_catch_index(workflow)
        _settle(workflow)


def migrate(workflow: BpmnWorkflow, new: CompiledProcess, now: datetime) -> None:
    """Put the workflow on a newer spec. Refused (InvalidState, with the reason) when an element
    the instance has used or reached is gone, or one of its subprocesses changed shape."""
    top, subprocess_diffs = diff_workflow(SERIALIZER.registry, workflow, new.spec, new.subprocess_specs)
    trees = [(workflow, new.spec),
             *((sub, new.subprocess_specs.get(sub.spec.name)) for sub in workflow.subprocesses.values())]
    # Branches that ended long ago are kept only as carriers (see engine/spiff/history.py): the
    # elements they used must exist in the new version too, and the carriers move with it.
    held = [(task, spec) for tree, spec in trees for task in carriers(tree)]
    gone = sorted({t.task_spec.bpmn_id or t.task_spec.name for t in top.removed}
                  | {task.task_spec.bpmn_id or task.task_spec.name for task, spec in held
                     if spec is None or task.task_spec.name not in spec.task_specs})
    if gone:
        raise InvalidState(f"the new version lacks elements this instance has used or reached: {', '.join(gone)}")
    for subprocess_id, diff in subprocess_diffs.items():
        if diff is None or diff.removed:
            raise InvalidState(f"a running subprocess ({subprocess_id}) does not exist alike in the new version")
    # On the engine's clock: SpiffWorkflow re-arms the timers of the tasks it moves over.
    with engine_time(now):
        migrate_workflow(top, workflow, new.spec)
        for task, spec in held:
            task.task_spec = spec.task_specs[task.task_spec.name]
        for subprocess_id, diff in subprocess_diffs.items():
            subprocess = workflow.subprocesses[subprocess_id]
            migrate_workflow(diff, subprocess, new.subprocess_specs[subprocess.spec.name])
        workflow.subprocess_specs = new.subprocess_specs
        rebuild_catch_index(workflow)  # a migration may drop waiting tasks too
        _settle(workflow)


def rebuild_catch_index(workflow: BpmnWorkflow) -> None:
    """Make SpiffWorkflow's index of waiting catches what loading the saved state would make
    (it keeps entries for catches a reset removed): a workflow kept in memory between steps
    must behave exactly like one loaded from the database."""
    manager = workflow.event_manager
    manager.tasks = {}
    for tree in [workflow, *workflow.subprocesses.values()]:
        for task in tree.tasks.values():
            if isinstance(task.task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
                manager.add_task(task)


def task_count(workflow: BpmnWorkflow) -> int:
    """Tasks in the process's tree and its subprocesses' trees (what a save writes)."""
    return len(workflow.tasks) + sum(len(sub.tasks) for sub in workflow.subprocesses.values())


def element_progress(workflow: BpmnWorkflow) -> tuple[set[str], set[str]]:
    """The diagram elements the instance has passed, and those it is at now (for drawing)."""
    done, active = set(), set()
    for task in workflow.get_tasks(state=TaskState.COMPLETED | TaskState.READY | TaskState.WAITING
                                   | TaskState.STARTED):
        element = task.task_spec.bpmn_id
        if element:
            (done if task.state == TaskState.COMPLETED else active).add(element)
    return done, active
