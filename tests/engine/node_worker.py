"""A node for the many-node test: its own process, engine and lease name, sweeping the shared
database until nothing is left to do (or its time runs out)."""
from __future__ import annotations

import time
from datetime import datetime

from engine.clock import FrozenClock
from engine.commands import Sweep
from engine.config import EngineConfig
from engine.service import Engine


def run_node(url: str, schema: str, name: str, moment: str, forms_dir: str, seconds: float, result) -> None:
    engine = Engine(EngineConfig(database_url=url, database_schema=schema, node_name=name, forms_dir=forms_dir),
                    FrozenClock(datetime.fromisoformat(moment)))
    fired = routed = 0
    idle, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline and idle < 3:
        report = engine.execute(Sweep(limit=20))
        fired += report.timers_fired
        routed += report.messages_routed
        idle = idle + 1 if not (report.timers_fired or report.messages_routed) else 0
    engine.dispose()
    result.put((name, fired, routed))
