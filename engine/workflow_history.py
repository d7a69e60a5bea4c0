"""Keeping a workflow's live state small: completed history far behind everything still live
is cut off the task tree before the state is saved.

SpiffWorkflow keeps every task it ever ran in the workflow's tree, so a long-lived instance (a
follow-up loop that runs for years, a case sent back to matching again and again) would load,
walk and write more with every step. History is kept elsewhere already (the `tasks`
projection: who did what, when; the audit log), so the saved state needs only the part of the
tree that is still live, plus a window of recent completed levels above it (for a reset to an
earlier task, and for joins, which look at their ancestors). Part of the SpiffWorkflow adapter
(with `workflow.py`).

Off by default (history_levels = 0), because a review found shapes where the cut changes what
an instance does: SpiffWorkflow merges, at a join or end, the data of finished tasks of
branches that ended long ago (cut, that data is lost), and a parallel gateway that is itself
the loop's entry looks back to the first pass. Turn it on (KEDJA_HISTORY_LEVELS) only for
diagrams without those shapes."""
from __future__ import annotations

from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

FRONT_STATES = TaskState.READY | TaskState.WAITING | TaskState.COMPLETED
RUNNING_STATES = TaskState.READY | TaskState.WAITING | TaskState.STARTED


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


def _prune_tree(tree, keep_levels: int) -> int:
    live = [task for task in tree.tasks.values() if not task.has_state(TaskState.FINISHED_MASK)]
    if not live:
        return 0  # a finished (sub)process is not stepped again
    # The instance's current data is that of the task that changed state last (workflow.current_data),
    # which may be the end of a branch that finished just now: it stays as if it were live.
    front = max((task for task in tree.tasks.values() if task.has_state(FRONT_STATES)),
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
    kept = _subtree_ids(tree, new_root)
    dropped = [task_id for task_id in tree.tasks if task_id not in kept]
    for task_id in dropped:
        del tree.tasks[task_id]
    new_root._parent = None
    tree.task_tree = new_root
    if tree.last_task is not None and tree.last_task.id not in kept:
        tree.last_task = new_root
    return len(dropped)


def _splice_chains(tree, keep_levels: int) -> int:
    """A branch that loops beside another live branch (a monthly report beside a contract that
    runs on) cannot be cut at the root: the two meet at their split. Such a branch's long run of
    completed single-child tasks above its recent window is spliced out instead; the window's
    top task hangs from the run's first ancestor that branches (kept: joins look for it)."""
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
        above._children = [window_top.id if child == run[-1].id else child for child in above._children]
        window_top._parent = above.id
        for task in run:
            del tree.tasks[task.id]
            if tree.last_task is task:
                tree.last_task = window_top
        dropped += len(run)
    return dropped


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
