"""What a reset may reopen after history was cut (engine/spiff/history.py explains the cut):
the limits the carriers and the cut's bookkeeping set."""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway

from .history import CUT_LATEST, FORK_TIME, RELINKED, is_carrier


def can_reopen(task) -> bool:
    """Whether a reset can reopen `task` as the whole history would: it has its own parent
    (whose data it gets, and whose boundary events it resets with it)."""
    return task.parent is not None and RELINKED not in task.internal_data


def _undo_limit(carrier) -> float:
    """A carrier's data could not be undone by a reset to before its branches forked. A gateway
    join's carrier also holds arrivals: a reset to before the join fired would run it again
    without them (a parallel join would wait for good), so it counts from when the join fired."""
    if isinstance(carrier.task_spec, (ParallelGateway, InclusiveGateway)):
        return max(carrier.internal_data.get(FORK_TIME, 0.0), carrier.last_state_change)
    return carrier.internal_data.get(FORK_TIME, 0.0)


def reset_limit(tree, spec_name: str) -> float:
    """A reset to a task of `spec_name` must not go back to one completed before this time:
    - branches that forked off after it ended and were folded into carriers, and their data
      could no longer be undone (nor, for a gateway join, their arrivals: see `_undo_limit`);
    - a later task of the spec was cut off, so the one left is not the latest, which a reset
      with the whole history would reopen. (The cut keeps the nearest task of each spec, but
      a reset removes what followed its target, and with it those nearest tasks.)"""
    folded = max((_undo_limit(task) for task in tree.tasks.values() if is_carrier(task)), default=0.0)
    return max(folded, tree.task_tree.internal_data.get(CUT_LATEST, {}).get(spec_name, 0.0))


def carriers(tree) -> list:
    return [task for task in tree.tasks.values() if is_carrier(task)]
