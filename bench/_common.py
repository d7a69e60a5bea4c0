"""Shared set-up for the benchmarks: an engine on a fresh database, the machine's description."""
from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from engine import migrate  # noqa: E402
from engine.clock import FrozenClock  # noqa: E402
from engine.commands import Deploy  # noqa: E402
from engine.config import EngineConfig  # noqa: E402
from engine.service import Engine  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"


def machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.platform()}")


def fresh_engine(database: str, **config) -> tuple[Engine, callable]:
    """An engine on a new SQLite file, or on a new schema of the PostgreSQL at `database`; the
    fixtures' forms are deployable (the benchmarks deploy the fixtures' diagrams)."""
    config.setdefault("forms_dir", str(FIXTURES / "forms"))
    if database == "sqlite":
        folder = tempfile.mkdtemp()
        engine = Engine(EngineConfig(database_url=f"sqlite:///{folder}/bench.db", **config), FrozenClock())
        migrate.upgrade(engine.sql_engine)
        return engine, lambda: engine.dispose()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    migrate.create_schema(database, schema)
    engine = Engine(EngineConfig(database_url=database, database_schema=schema, **config), FrozenClock())

    def drop():
        engine.dispose()
        migrate.drop_schema(database, schema)
    return engine, drop


def deploy(engine: Engine, *names: str) -> None:
    engine.execute(Deploy(tuple((name, (FIXTURES / name).read_bytes()) for name in names)))


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 20 else max(values)
