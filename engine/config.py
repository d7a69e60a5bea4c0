"""Settings as a dataclass; `from_env` reads the KEDJA_* environment variables."""
from __future__ import annotations

import copy
import functools
import json
import os
from dataclasses import dataclass, field
from importlib.metadata import entry_points

MODEL_ENTRY_POINTS = "kedja.model"


@functools.cache
def _model_packages() -> tuple:
    """The installed model packages (entry point group `kedja.model`), by name."""
    return tuple(entry.load() for entry in sorted(entry_points(group=MODEL_ENTRY_POINTS), key=lambda e: e.name))


def installed_settings(from_env: bool) -> dict:
    """The model packages' settings: their defaults, or (`from_env`) what the environment sets."""
    values: dict = {}
    for package in _model_packages():
        values.update(package.settings_from_env() if from_env else package.default_settings())
    return values


def installed_diagram_settings() -> tuple[str, ...]:
    return tuple(name for package in _model_packages() for name in package.diagram_settings)

def _default_sqlite_url() -> str:
    return "sqlite:///" + os.path.abspath(os.path.join("var", "kedja.db"))


@dataclass(frozen=True)
class EngineConfig:
    database_url: str = field(default_factory=_default_sqlite_url)
    # PostgreSQL only: the schema to use (tests give each run its own).
    database_schema: str | None = None
    # The model packages' settings by name (the Göteborg model's: screening, reserved share,
    # distribution key, socio-economic values, goteborg/settings.py); diagrams read those the
    # package shows them as settings['screening_min_months'] etc. Default: the installed model
    # packages' defaults; `from_env` reads their KEDJA_* variables.
    settings: dict = field(default_factory=lambda: installed_settings(from_env=False))
    # Stall detection: thresholds (seconds) that override engine.stalls.DEFAULT_THRESHOLDS,
    # keyed "*", a process key or "process/element", e.g. {"procurement": {"message_wait": 86400}}.
    stall_thresholds: dict = field(default_factory=dict)
    stall_interval_seconds: float = 60.0
    # Where the user tasks' form schemas are (None: the `forms` package's own schemas).
    forms_dir: str | None = None
    # The zone of timer dates written without one (the city's wall time).
    timezone: str = "Europe/Stockholm"
    # Untrusted uploads: larger files are refused before parsing.
    max_bpmn_bytes: int = 5 * 1024 * 1024
    # A message nobody waits for is kept this long, then shown as expired. Long, because a
    # process may be busy with a task for weeks before it waits for that message again.
    default_message_ttl_seconds: int = 400 * 24 * 3600
    # How long a claimed timer or outbox row is reserved for one node before another may take it.
    lease_seconds: int = 60
    # The periodic sweep: how often, and how many items per pass.
    sweep_interval_seconds: float = 5.0
    sweep_batch_size: int = 100
    # Completed history kept whole in an instance's saved state: this many tree levels above
    # what is still live (older history is kept only as far as SpiffWorkflow still reads it, see
    # engine/spiff/history.py); 0 keeps the whole tree, whose cost grows with every step.
    history_levels: int = 20
    # Live workflows kept in memory between steps (per process; 0: rebuild every step).
    workflow_cache_size: int = 500
    # A delivery that loses an optimistic-lock race is retried this many times.
    delivery_retries: int = 5
    # Script tasks run in worker processes under these limits (engine/script_pool.py): CPU
    # seconds and memory per script, a wall-clock timeout, and how many workers run at once.
    script_cpu_seconds: float = 2.0
    script_memory_mb: int = 256
    script_timeout_seconds: float = 5.0
    script_workers: int = 2
    # A timer or message delivery that fails this many times becomes an incident (no more
    # retries until an administrator retries it); between tries it waits retry_backoff_seconds
    # times 2 to the number of tries so far.
    max_attempts: int = 3
    retry_backoff_seconds: float = 10.0
    # After its commit a request routes what it threw itself, up to inline_routes messages and
    # inline_route_ms milliseconds (0: no time bound); the rest goes to this node's routing
    # threads (routing_threads; 0: to the sweep), so an answer never waits for a long cascade.
    inline_routes: int = 20
    inline_route_ms: float = 50.0
    routing_threads: int = 2
    # How many timers or messages one sweep works on at once (each in its own transaction).
    sweep_threads: int = 1
    # Demo mode (`kedja demo`): the clock is the real time plus an offset an administrator moves
    # forward (engine/demo.py), read from the database at most once per demo_clock_refresh_seconds.
    demo: bool = False
    demo_clock_refresh_seconds: float = 1.0
    # What the model packages rely on in the deployed diagrams (engine/requirements.py): a new
    # version that drops one of these roles is refused. `from_env` takes the installed packages'.
    model_requirements: tuple = ()
    # Identifies this node in leases (several service processes may share one database).
    node_name: str = field(default_factory=lambda: f"{os.uname().nodename}:{os.getpid()}")

    def model_settings(self) -> dict:
        """The settings diagrams may read (those the model packages show them)."""
        return {name: copy.deepcopy(self.settings[name]) for name in installed_diagram_settings()
                if name in self.settings}

    @staticmethod
    def from_env(**overrides) -> "EngineConfig":
        values: dict = {}
        if url := os.environ.get("KEDJA_DATABASE_URL"):
            values["database_url"] = url
        if schema := os.environ.get("KEDJA_DATABASE_SCHEMA"):
            values["database_schema"] = schema
        if size := os.environ.get("KEDJA_MAX_BPMN_BYTES"):
            values["max_bpmn_bytes"] = int(size)
        if forms_dir := os.environ.get("KEDJA_FORMS_DIR"):
            values["forms_dir"] = forms_dir
        if lease := os.environ.get("KEDJA_LEASE_SECONDS"):
            values["lease_seconds"] = int(lease)
        if stalls := os.environ.get("KEDJA_STALL_THRESHOLDS"):  # JSON, see stall_thresholds
            values["stall_thresholds"] = json.loads(stalls)
        if zone := os.environ.get("KEDJA_TIMEZONE"):
            values["timezone"] = zone
        if levels := os.environ.get("KEDJA_HISTORY_LEVELS"):
            values["history_levels"] = int(levels)
        if cache := os.environ.get("KEDJA_WORKFLOW_CACHE_SIZE"):
            values["workflow_cache_size"] = int(cache)
        if ttl := os.environ.get("KEDJA_MESSAGE_TTL_SECONDS"):
            values["default_message_ttl_seconds"] = int(ttl)
        for name, kind in (("script_cpu_seconds", float), ("script_memory_mb", int),
                           ("script_timeout_seconds", float), ("script_workers", int), ("max_attempts", int),
                           ("retry_backoff_seconds", float), ("inline_routes", int),
                           ("inline_route_ms", float), ("routing_threads", int), ("sweep_threads", int)):
            if value := os.environ.get(f"KEDJA_{name.upper()}"):
                values[name] = kind(value)
        from .requirements import installed_requirements  # here: it reads diagrams, which need this module
        values["model_requirements"] = installed_requirements()
        values["settings"] = installed_settings(from_env=True)
        values.update(overrides)
        return EngineConfig(**values)
