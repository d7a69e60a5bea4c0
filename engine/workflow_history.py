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
- above the window, the nearest ancestor of each task spec stays, as a chain: a parallel gateway
  that is a loop's entry walks up to the first ancestor of one of its inputs (as far as the
  start event), and structured joins look up their split by spec; both find the same task;
- the data of finished join tasks of branches that ended (an end event's join, a join's
  cancelled arrivals) is merged by every later run of that join: it is folded, per join, into
  one detached carrier task (a parent holding the data and a cancelled join task under it),
  merged in the order SpiffWorkflow would merge it. Exact for objects and scalars; for lists,
  SpiffWorkflow's own merge is not associative, so a list two ended branches both changed can
  come out in another order than with the whole history.
An inclusive gateway inside a loop reads its first pass (the topmost task of its spec), which
the cut replaces by a recent one; the model has no inclusive gateways."""
from __future__ import annotations

from uuid import UUID, uuid4

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

FRONT_STATES = TaskState.READY | TaskState.WAITING | TaskState.COMPLETED
RUNNING_STATES = TaskState.READY | TaskState.WAITING | TaskState.STARTED
# Marks the two tasks of a carrier (see the module's text) in their internal data.
CARRIER = "kedja_carrier"


def prune_history(workflow: BpmnWorkflow, keep_levels: int) -> int:
    """Cut each tree (the process's and its subprocesses') `keep_levels` levels above the lowest
    task that every live task descends from. Returns how many tasks were dropped."""
    if keep_levels <= 0:
        return 0
    dropped = 0
    for tree in [workflow, *workflow.subprocesses.values()]:
        dropped += _prune_tree(tree, keep_levels) + _splice_chains(tree, keep_levels)
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
    kept = _subtree_ids(tree, new_root) | {task.id for task in chain}
    dropped = [task for task in real if task.id not in kept]
    if not dropped:
        return 0
    ancestors = {task.id for task in above}
    _fold_into_carriers(tree, [task for task in dropped if task.id not in ancestors])
    for task in dropped:
        del tree.tasks[task.id]
    _link(new_root, chain)
    if tree.last_task is not None and tree.last_task.id not in tree.tasks:
        tree.last_task = new_root
    return len(dropped)


def _splice_chains(tree, keep_levels: int) -> int:
    """A branch that loops beside another live branch (a monthly report beside a contract that
    runs on) cannot be cut at the root: the two meet at their split. Such a branch's long run of
    completed single-child tasks above its recent window is spliced out instead (keeping the
    nearest task of each spec, as above the root cut); the window hangs from what is left of
    the run, under the run's first ancestor that branches (kept: joins look for it)."""
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
        run, above = [], window_top.parent
        while (above is not None and above.parent is not None and above.has_state(TaskState.COMPLETED)
               and len(above._children) == 1):
            run.append(above)
            above = above.parent
        if len(run) < keep_levels or above is None:
            continue  # short runs stay: cutting them would gain little
        chain = _nearest_of_each_spec(run)
        if len(chain) == len(run):
            continue  # nothing repeats: nothing to splice
        chain_ids = {task.id for task in chain}
        for task in run:
            if task.id not in chain_ids:
                del tree.tasks[task.id]
                dropped += 1
        _link(window_top, chain)
        above._children = [chain[-1].id if child == run[-1].id else child for child in above._children]
        chain[-1]._parent = above.id
        if tree.last_task is not None and tree.last_task.id not in tree.tasks:
            tree.last_task = window_top
    return dropped


def _nearest_of_each_spec(ancestors: list) -> list:
    """The first task of each spec, nearest first, and always the topmost (the tree's root).
    A walk up the ancestors for the first task of some specs finds the same task in it. (An
    inclusive gateway in a loop reads the topmost task of its spec, which this changes: the
    model has none; see the module's text.)"""
    seen, chain = set(), []
    for index, task in enumerate(ancestors):
        if task.task_spec.name in seen and index != len(ancestors) - 1 and not _after_join(chain, task):
            continue
        seen.add(task.task_spec.name)
        chain.append(task)
    return chain


def _after_join(chain: list, task) -> bool:
    """A join kept in the chain keeps its own parent too: joins read their parent's spec."""
    return bool(chain) and isinstance(chain[-1].task_spec, UnstructuredJoin) and chain[-1]._parent == task.id


def _link(bottom, chain: list) -> None:
    """Hang `bottom` under chain[0] as its only child, chain[0] under chain[1], and so on."""
    lower = bottom
    for upper in chain:
        upper._children = [lower.id]
        lower._parent = upper.id
        lower = upper


def _fold_into_carriers(tree, dropped: list) -> None:
    """Finished join tasks that are not ancestors of what stays are merged by every later run
    of their join (UnstructuredJoin._run_hook merges each one's parent's data, oldest first):
    their data is folded into the join's carrier, after what the carrier held already."""
    by_spec: dict[str, list] = {}
    for task in dropped:
        if (isinstance(task.task_spec, UnstructuredJoin) and task.has_state(TaskState.FINISHED_MASK)
                and task.parent is not None):
            by_spec.setdefault(task.task_spec.name, []).append(task)
    for spec_name, joins in by_spec.items():
        joins.sort(key=lambda task: task.last_state_change)
        carrier = next((task for task in tree.tasks.values()
                        if is_carrier(task) and task.task_spec.name == spec_name), None)
        if carrier is None:
            holder = type(joins[0])(tree, joins[0].parent.task_spec, state=TaskState.COMPLETED, id=uuid4())
            holder.internal_data[CARRIER] = True
            holder.data = {}
            carrier = type(joins[0])(tree, joins[0].task_spec, parent=holder, state=TaskState.CANCELLED, id=uuid4())
            carrier.internal_data[CARRIER] = True
            holder._children = [carrier.id]
        for join in joins:
            DeepMerge.merge(carrier.parent.data, join.parent.data)
        carrier.last_state_change = carrier.parent.last_state_change = joins[-1].last_state_change


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
