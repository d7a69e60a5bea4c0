"""Live workflows kept between steps, so that a step need not rebuild its instance's workflow
from the stored state (the part of a step's cost that grows with the instance's history).

Beside the workflow, an entry keeps what the step that put it knew of the instance's rows (its
open tasks, waits and facts: engine/projection_rows.py), so that the next step need not read
them either. An entry is only used when the instance row still has the version it had when the
entry was put: any other writer (another thread, another node sharing the database, an administrator's
action) moves the version on and the next step rebuilds from the stored state. An entry is
taken out while a step works on it, and put back only after that step committed; a refused
or failed step drops it, since its workflow may be half-changed."""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable

MISS = object()  # read(): no workflow of the instance at that version here


class WorkflowCache:
    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[int, int, Any, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, instance_id: str, version: int, definition_id: int) -> tuple[Any, Any]:
        """The workflow of this instance at this row version and what was known of its rows, or
        (None, None); the entry leaves the cache."""
        with self._lock:
            entry = self._entries.pop(instance_id, None)
        if entry is None or entry[0] != version or entry[1] != definition_id:
            return None, None
        return entry[2], entry[3]

    def read(self, instance_id: str, version: int, definition_id: int, reader: Callable[[Any], Any]) -> Any:
        """`reader(workflow)` on the cached workflow of this instance at this row version, or
        MISS. It runs under the cache's lock: an entry in the cache is one no step works on
        (a step takes it out first), and none can take it meanwhile. `reader` must return what
        it read as a copy, never a part of the live workflow, and be quick."""
        with self._lock:
            entry = self._entries.get(instance_id)
            if entry is None or entry[0] != version or entry[1] != definition_id:
                return MISS
            return reader(entry[2])

    def put(self, instance_id: str, version: int, definition_id: int, workflow: Any, rows: Any = None) -> None:
        if self.max_entries <= 0:
            return
        with self._lock:
            self._entries[instance_id] = (version, definition_id, workflow, rows)
            self._entries.move_to_end(instance_id)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
