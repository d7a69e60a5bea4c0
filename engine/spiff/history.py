"""Keeping a workflow's live state small: completed history far behind everything still live
is cut off the task tree before the state is saved.

SpiffWorkflow keeps every task it ever ran in the workflow's tree, so a long-lived instance (a
follow-up loop that runs for years, a case sent back to matching again and again) would load,
walk and write more with every step. History is kept elsewhere already (the `tasks`
projection: who did what, when; the audit log), so the saved state needs only the part of the
tree that is still live, plus a window of recent completed levels above it (for a reset to an
earlier task, and for joins, which look at their ancestors). Part of the SpiffWorkflow adapter
(with `workflow.py`).

What SpiffWorkflow still reads from the history is kept in a bounded form:
- above the window, the nearest ancestor of each task spec stays, with its real parent, as a
  chain: a parallel gateway that is a loop's entry walks up to the first ancestor of one of its
  inputs (as far as the start event), structured joins look up their split by spec, and a reset
  gives the reopened task its parent's data; all find the same task;
- branches that ended (a fork's ended branch, a boundary event that never fired, old firings of
  a cycle timer) are cut once they are far behind, and the data of their finished join tasks,
  which every later run of that join merges again (an end event's join, a join's cancelled
  arrivals), is folded into detached carrier tasks (a parent holding the data, a cancelled join
  task under it): one per run of such joins not interrupted by a join task that stays, so every
  merge happens in the order SpiffWorkflow would make it. Exact for objects and scalars; for
  lists, SpiffWorkflow's own merge is not associative, so a list two ended branches both
  changed can come out in another order than with the whole history;
- a carrier remembers when the latest branch it holds forked off; a reset to a task completed
  before that is refused (the folded data could not be undone; for a gateway join's carrier,
  before the join fired: its folded arrivals are gone), as is a reset to a task of a branch
  that was cut;
- a task with boundary events keeps them beside it (a reset resets them with it);
- a reset removes what followed its target, and with it the nearest tasks the chain kept of
  later specs: the root task remembers, per spec, when the latest task the cut dropped had
  completed, and a task hung under another parent is marked, so that a reset that would not
  reopen what the whole history reopens is refused (`can_reopen`, `reset_limit`).
An inclusive gateway inside a loop reads its first pass (the topmost task of its spec), which
the cut replaces by a recent one; the model has no inclusive gateways. A cycle timer's firings
each leave a boundary join waiting for the task (SpiffWorkflow's own): live, so never cut."""
from __future__ import annotations

from uuid import UUID, uuid4

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

FRONT_STATES = TaskState.READY | TaskState.WAITING | TaskState.COMPLETED
RUNNING_STATES = TaskState.READY | TaskState.WAITING | TaskState.STARTED
# Marks the two tasks of a carrier (see the module's text) in their internal data.
CARRIER = "kedja_carrier"
FORK_TIME = "kedja_fork_time"
# In the root task's internal data: per task spec, when the latest task of it that was cut off
# had completed (see `reset_limit`).
CUT_LATEST = "kedja_cut_latest"
# Marks a task the cut hung under another parent than its own: a reset could not give it the
# data its own parent had (see `reset_limit`).
RELINKED = "kedja_relinked"


def prune_history(workflow: BpmnWorkflow, keep_levels: int) -> int:
    """Cut each tree (the process's and its subprocesses') `keep_levels` levels above the lowest
    task that every live task descends from. Returns how many tasks were dropped."""
    if keep_levels <= 0:
        return 0
    dropped = 0
    for tree in [workflow, *workflow.subprocesses.values()]:
        dropped += (_prune_tree(tree, keep_levels) + _splice_chains(tree, keep_levels)
                    + _drop_ended_cycle_branches(tree, keep_levels))
    _drop_orphan_subprocesses(workflow)
    return dropped


def is_carrier(task) -> bool:
    return CARRIER in task.internal_data


def _prune_tree(tree, keep_levels: int) -> int:
    real = [task for task in tree.tasks.values() if not is_carrier(task)]
    live = [task for task in real if not task.has_state(TaskState.FINISHED_MASK)]
    if not live:
        return 0  # a finished (sub)process is not stepped again
    # The instance's current data is that of the task that changed state last (workflow.current_data),
    # which may be the end of a branch that finished just now: it stays as if it were live.
    front = max((task for task in real if task.has_state(FRONT_STATES)),
                key=lambda task: task.last_state_change, default=None)
    if front is not None and front not in live:
        live.append(front)
    path = _ancestors(live[0])  # the first live task up to the root
    position = {task.id: index for index, task in enumerate(path)}
    lowest_common = 0
    for task in live[1:]:
        node = task
        while node is not None and node.id not in position:
            node = node.parent
        if node is None:
            return 0  # not one tree: leave it alone
        lowest_common = max(lowest_common, position[node.id])
    cut = lowest_common + keep_levels
    if cut >= len(path) - 1:
        return 0  # not deep enough to be worth cutting
    new_root = path[cut]
    if not new_root.has_state(TaskState.COMPLETED):
        return 0
    above = path[cut + 1:]
    chain = _nearest_of_each_spec(above)
    below = {path[index].id: path[index - 1].id for index in range(1, len(path))}
    events = _boundary_events(chain, below)
    kept = _subtree_ids(tree, new_root) | {task.id for task in chain} | events
    dropped = [task for task in real if task.id not in kept]
    if not dropped:
        return 0
    on_path = {task.id for task in above}
    _fold_into_carriers(tree, [(task, _fork_time(task, on_path)) for task in dropped
                               if task.id not in on_path and _is_finished_join(task)])
    _forget(tree, dropped)
    for task in dropped:
        del tree.tasks[task.id]
    _link(new_root, chain, below, events)
    if tree.last_task is not None and tree.last_task.id not in tree.tasks:
        tree.last_task = new_root
    return len(dropped)


def _splice_chains(tree, keep_levels: int) -> int:
    """A branch that loops beside another live branch (a monthly report beside a contract that
    runs on) cannot be cut at the root: the two meet at their split. Such a branch's long run of
    completed tasks above its recent window is spliced out instead: the nearest task of each
    spec stays (as above the root cut), and what branched off the run and has finished (a
    fork's ended branch, a boundary event that never fired) goes, its joins' data folded into
    carriers. The run ends at the first ancestor with another branch still live (kept: joins
    look for it)."""
    dropped = 0
    # Windows are measured from what really runs or waits, not from predicted tasks: a join
    # waiting above a predicted tail would otherwise lose its real parent (joins read it).
    for live in [task for task in tree.tasks.values() if task.has_state(RUNNING_STATES)]:
        if live.id not in tree.tasks:
            continue
        window_top = live
        for _ in range(keep_levels):
            if window_top.parent is None:
                break
            window_top = window_top.parent
        run, sides, child, above = [], [], window_top, window_top.parent
        while above is not None and above.parent is not None and above.has_state(TaskState.COMPLETED):
            side = _finished_side_branches(tree, above, child)
            if side is None:
                break
            run.append(above)
            sides.append(side)
            child, above = above, above.parent
        if len(run) < keep_levels or above is None:
            continue  # short runs stay: cutting them would gain little
        chain = _nearest_of_each_spec(run)
        if len(chain) == len(run) and not any(sides):
            continue  # nothing repeats and nothing ended: nothing to splice
        chain_ids = {task.id for task in chain}
        below = dict(zip([task.id for task in run], [window_top.id] + [task.id for task in run[:-1]], strict=True))
        events = _boundary_events(chain, below)
        sides = [[task_id for task_id in side if task_id not in events] for side in sides]
        joins = []
        for task, side in zip(run, sides, strict=True):
            joins += [(tree.tasks[task_id], task.last_state_change) for task_id in side
                      if _is_finished_join(tree.tasks[task_id])]
        _fold_into_carriers(tree, joins)
        _forget(tree, [tree.tasks[task_id] for side in sides for task_id in side]
                + [task for task in run if task.id not in chain_ids])
        for task, side in zip(run, sides, strict=True):
            for task_id in side:
                del tree.tasks[task_id]
            dropped += len(side)
            if task.id not in chain_ids:
                del tree.tasks[task.id]
                dropped += 1
        _link(window_top, chain, below, events)
        above._children = [chain[-1].id if child_id == run[-1].id else child_id for child_id in above._children]
        _hang(chain[-1], above)
        if tree.last_task is not None and tree.last_task.id not in tree.tasks:
            tree.last_task = window_top
    return dropped


def _drop_ended_cycle_branches(tree, keep_levels: int) -> int:
    """A cycle timer (a daily reminder on an open task) waits on and adds one branch under
    itself per firing. Beyond the newest `keep_levels`, branches that ended go; their joins'
    data is folded into carriers, forked at the firing that started them."""
    dropped = 0
    for timer in [task for task in tree.tasks.values() if task.has_state(TaskState.WAITING)
                  and isinstance(getattr(task.task_spec, "event_definition", None), CycleTimerEventDefinition)]:
        ended = []
        for child_id in timer._children:
            subtree = [i for i in _subtree_ids(tree, tree.tasks[child_id]) if i in tree.tasks]
            if all(tree.tasks[i].has_state(TaskState.FINISHED_MASK) for i in subtree):
                ended.append((tree.tasks[child_id].last_state_change, child_id, subtree))
        ended.sort(key=lambda item: item[0])
        old = ended[:-keep_levels] if keep_levels else ended
        if len(old) < keep_levels:
            continue  # a few: not worth it
        _fold_into_carriers(tree, [(tree.tasks[i], fired) for fired, _child, subtree in old for i in subtree
                                   if _is_finished_join(tree.tasks[i])])
        _forget(tree, [tree.tasks[i] for _fired, _child, subtree in old for i in subtree])
        gone = {child_id for _fired, child_id, _subtree in old}
        timer._children = [child_id for child_id in timer._children if child_id not in gone]
        for _fired, _child_id, subtree in old:
            for task_id in subtree:
                del tree.tasks[task_id]
            dropped += len(subtree)
        if tree.last_task is not None and tree.last_task.id not in tree.tasks:
            tree.last_task = timer
    return dropped


def _finished_side_branches(tree, task, on_path_child) -> list | None:
    """The ids of the subtrees under `task` beside `on_path_child`, if all of them finished
    (None if any task in them is live: the run stops there)."""
    ids = []
    for child_id in task._children:
        if child_id == on_path_child.id:
            continue
        subtree = _subtree_ids(tree, tree.tasks[child_id]) if child_id in tree.tasks else set()
        if any(not tree.tasks[i].has_state(TaskState.FINISHED_MASK) for i in subtree if i in tree.tasks):
            return None
        ids += [i for i in subtree if i in tree.tasks]
    return ids


def _is_finished_join(task) -> bool:
    return (isinstance(task.task_spec, UnstructuredJoin) and task.has_state(TaskState.FINISHED_MASK)
            and task.parent is not None)


def _fork_time(task, on_path: set) -> float:
    """When the branch `task` is on left the kept path: the time its fork point completed."""
    node = task.parent
    while node is not None and node.id not in on_path:
        node = node.parent
    return node.last_state_change if node is not None else 0.0


def _nearest_of_each_spec(ancestors: list) -> list:
    """The first task of each spec, nearest first, each with its real parent (a reset gives a
    task its parent's data; joins read their parent's spec), and always the topmost (the tree's
    root). A walk up the ancestors for the first task of some specs finds the same task in it.
    (An inclusive gateway in a loop reads the topmost task of its spec, which this changes: the
    model has none; see the module's text.)"""
    seen, chain, parent_wanted = set(), [], None
    for index, task in enumerate(ancestors):
        first = task.task_spec.name not in seen or index == len(ancestors) - 1
        if not first and task.id != parent_wanted:
            continue
        seen.add(task.task_spec.name)
        chain.append(task)
        parent_wanted = task._parent if first else None
    return chain


def _boundary_events(chain: list, below: dict) -> set:
    """The boundary events beside the path under each split in `chain` (`below`: the path's
    child of each task). A task with boundary events hangs under a split beside one task per
    event; a reset to it resets them all, which is how its events wait again, and its join
    looks among them for the main task. So they stay where their split stays, as leaves (what
    followed a fired event has ended: not live, or the split would be below the cut)."""
    return {child_id for task in chain if isinstance(task.task_spec, BoundaryEventSplit)
            for child_id in task._children if child_id != below[task.id]}


def _link(bottom, chain: list, below: dict, events: set) -> None:
    """Hang `bottom` under chain[0] as its only child (beside its boundary events, in their
    places), chain[0] under chain[1], and so on."""
    lower = bottom
    for upper in chain:
        path_child = below[upper.id]
        upper._children = [lower.id if child_id == path_child else child_id for child_id in upper._children
                           if child_id == path_child or child_id in events]
        for child_id in upper._children:
            if child_id != lower.id:
                upper.workflow.tasks[child_id]._children = []
        _hang(lower, upper)
        lower = upper


def _hang(task, parent) -> None:
    if task._parent != parent.id:
        task.internal_data[RELINKED] = True
    task._parent = parent.id


def _fold_into_carriers(tree, dropped: list) -> None:
    """Finished join tasks that are not ancestors of what stays are merged by every later run
    of their join (UnstructuredJoin._run_hook merges each one's parent's data, oldest first).
    `dropped` holds (join task, when its branch forked off the kept path). Per join spec, the
    dropped ones and the carriers already there are folded, in that order, into carriers: one
    per run of them not interrupted by a finished join task that stays, so the order of every
    merge stays what it was. A carrier remembers the latest fork it holds (see `reset_limit`)."""
    by_spec: dict[str, list] = {}
    for task, fork_time in dropped:
        by_spec.setdefault(task.task_spec.name, []).append((task, fork_time, task.parent.data))
    if not by_spec:
        return
    for task in list(tree.tasks.values()):
        if task.task_spec.name in by_spec and is_carrier(task) and task.parent is not None:
            by_spec[task.task_spec.name].append((task, task.internal_data.get(FORK_TIME, 0.0), task.parent.data))
    dropped_ids = {task.id for task, _ in dropped}
    for spec_name, items in by_spec.items():
        separators = [(task, None, None) for task in tree.tasks.values()
                      if task.task_spec.name == spec_name and not is_carrier(task) and task.id not in dropped_ids
                      and _is_finished_join(task)]
        ordered = sorted(items + separators, key=lambda item: item[0].last_state_change)
        group: list = []
        for item in [*ordered, None]:
            if item is not None and item[1] is not None:
                group.append(item)
                continue
            if group and not (len(group) == 1 and is_carrier(group[0][0])):
                _replace_by_carrier(tree, group)
            group = []


def _replace_by_carrier(tree, group: list) -> None:
    first = group[0][0]
    holder = type(first)(tree, first.parent.task_spec, state=TaskState.COMPLETED, id=uuid4())
    carrier = type(first)(tree, first.task_spec, parent=holder, state=TaskState.CANCELLED, id=uuid4())
    holder._children = [carrier.id]
    data: dict = {}
    for _task, _fork, task_data in group:
        DeepMerge.merge(data, task_data)
    holder.data = data
    for task in (holder, carrier):
        task.internal_data[CARRIER] = True
        task.last_state_change = group[-1][0].last_state_change
    carrier.internal_data[FORK_TIME] = max(fork for _task, fork, _data in group)
    for task, _fork, _data in group:
        if is_carrier(task):  # folded into the new one
            del tree.tasks[task._parent]
            del tree.tasks[task.id]


def _forget(tree, tasks: list) -> None:
    """Remember, per task spec, when the latest of `tasks` (about to be cut off) completed."""
    latest = tree.task_tree.internal_data.setdefault(CUT_LATEST, {})
    for task in tasks:
        if task.has_state(TaskState.COMPLETED) and not is_carrier(task):
            name = task.task_spec.name
            latest[name] = max(latest.get(name, 0.0), task.last_state_change)


def _ancestors(task) -> list:
    chain = []
    while task is not None:
        chain.append(task)
        task = task.parent
    return chain


def _subtree_ids(tree, root) -> set[UUID]:
    kept, stack = set(), [root.id]
    while stack:
        task_id = stack.pop()
        kept.add(task_id)
        task = tree.tasks.get(task_id)
        if task is not None:
            stack.extend(task._children)
    return kept


def _drop_orphan_subprocesses(workflow: BpmnWorkflow) -> None:
    """A subprocess whose task was cut off (it finished long ago) goes with it."""
    while True:
        present = set(workflow.tasks)
        for subprocess in workflow.subprocesses.values():
            present |= set(subprocess.tasks)
        orphans = [key for key in workflow.subprocesses if key not in present]
        if not orphans:
            return
        for key in orphans:
            del workflow.subprocesses[key]
