"""The assumptions engine/spiff/patches.py makes about SpiffWorkflow's internals, each checked
so that an upgrade which breaks one fails here (and not as timers firing at the wrong time or
long-lived cases silently stopping)."""
import inspect
from datetime import datetime, timezone

import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskIterator

from engine.spiff.patches import MAX_TASK_DEPTH, engine_time
from engine.spiff.serialization import SERIALIZER

MOMENT = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)


def test_the_timer_module_reads_the_time_through_its_own_datetime_name():
    source = inspect.getsource(spiff_timer)
    assert "datetime.now(" in source  # what the patched `datetime` answers
    assert spiff_timer.datetime.now(timezone.utc) != MOMENT  # no step: the real clock
    with engine_time(MOMENT):
        assert spiff_timer.datetime.now(timezone.utc) == MOMENT


def test_a_timer_date_without_a_zone_is_the_steps_wall_time_summer_and_winter():
    assert "LOCALTZ" in inspect.getsource(TimerEventDefinition.get_datetime)
    with engine_time(MOMENT, "Europe/Stockholm"):
        summer = TimerEventDefinition.get_datetime("2026-07-01T09:00")
        winter = TimerEventDefinition.get_datetime("2026-01-10T09:00")
    assert summer.astimezone(timezone.utc).hour == 7 and winter.astimezone(timezone.utc).hour == 8
    with engine_time(MOMENT, "America/New_York"):  # another engine's zone, in the same process
        assert TimerEventDefinition.get_datetime("2026-01-10T09:00").astimezone(timezone.utc).hour == 14


def test_a_duration_timer_counts_from_the_steps_moment():
    with engine_time(MOMENT):
        due = TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration("P10D"))
    assert due.days == 10


def test_both_task_iterators_take_max_depth_second_and_now_default_to_the_deep_limit():
    for iterator in (TaskIterator, BpmnTaskIterator):
        parameters = list(inspect.signature(iterator.__init__).parameters)
        assert parameters[1:3] == ["task", "end_at_spec"] and parameters[3] == "max_depth", iterator
        assert inspect.signature(iterator.__init__).parameters["max_depth"].default == MAX_TASK_DEPTH


def test_the_state_only_converter_overrides_what_the_serializer_calls():
    # engine/spiff/serialization.py writes the run state without the spec: it relies on these.
    for name in ("to_dict", "from_dict", "mapping_to_dict", "mapping_from_dict", "set_default_attributes",
                 "subprocesses_from_dict"):
        assert callable(getattr(BpmnWorkflowConverter, name, None)), name
    assert callable(WorkflowConverter.to_dict)
    # The spec is handed to the converter's from_dict through the serializer's keyword arguments.
    assert "kwargs" in inspect.signature(BpmnWorkflowSerializer.from_dict).parameters
    assert "kwargs" in inspect.signature(SERIALIZER.registry.restore).parameters
