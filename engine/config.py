"""Settings as a dataclass; `from_env` reads the KEDJA_* environment variables."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

# The geographic distribution key: each district's share of the city's placements. Göteborg's
# ten former district committees, weighted towards the districts with the most people far from
# the labour market (a made-up default; KEDJA_DISTRIBUTION_KEY sets the city's own).
DEFAULT_DISTRIBUTION_KEY = {
    "Angered": 0.16, "Östra Göteborg": 0.14, "Västra Hisingen": 0.11, "Norra Hisingen": 0.10, "Lundby": 0.09,
    "Centrum": 0.08, "Majorna-Linné": 0.08, "Askim-Frölunda-Högsbo": 0.08, "Västra Göteborg": 0.08,
    "Örgryte-Härlanda": 0.08,
}


def _default_sqlite_url() -> str:
    return "sqlite:///" + os.path.abspath(os.path.join("var", "kedja.db"))


@dataclass(frozen=True)
class EngineConfig:
    database_url: str = field(default_factory=_default_sqlite_url)
    # PostgreSQL only: the schema to use (tests give each run its own).
    database_schema: str | None = None
    # Screening (Göteborg's rule): a procurement is a candidate for an employment requirement
    # if it runs at least this many months and needs more than this many workers. Diagrams read
    # them as settings['screening_min_months'] and settings['screening_min_workers'].
    screening_min_months: int = 4
    screening_min_workers: int = 1
    # A reserved contract: at least this share of the staff comes from the target groups
    # (settings['reserved_min_share']); below it at the fulfilment date, a correction request.
    reserved_min_share: float = 0.3
    # {district: share} (settings['distribution_key']): orders the vacancies offered when a
    # participant is matched, and the follow-up's placements per district (goteborg/distribution.py).
    distribution_key: dict = field(default_factory=lambda: dict(DEFAULT_DISTRIBUTION_KEY))
    # The socio-economic estimate: value to society (SEK) per person by outcome. The national
    # agency's example: a 12-month job for a newly arrived person is worth over 200,000 SEK.
    socio_economic_values: dict = field(default_factory=lambda: {
        "employment": 200_000, "apprenticeship": 150_000, "trainee": 120_000, "internship": 60_000,
        "other_occupation": 40_000})
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
        """The settings diagrams may read."""
        return {"screening_min_months": self.screening_min_months,
                "screening_min_workers": self.screening_min_workers, "reserved_min_share": self.reserved_min_share,
                "distribution_key": dict(self.distribution_key)}

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
        if socio := os.environ.get("KEDJA_SOCIO_ECONOMIC_VALUES"):  # JSON: {"employment": 200000, ...}
            values["socio_economic_values"] = json.loads(socio)
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
        for name in ("screening_min_months", "screening_min_workers"):
            if value := os.environ.get(f"KEDJA_{name.upper()}"):
                values[name] = int(value)
        if key := os.environ.get("KEDJA_DISTRIBUTION_KEY"):  # JSON: {"Angered": 0.2, ...}
            values["distribution_key"] = json.loads(key)
        if value := os.environ.get("KEDJA_RESERVED_MIN_SHARE"):
            values["reserved_min_share"] = float(value)
        from .requirements import installed_requirements  # here: it reads diagrams, which need this module
        values["model_requirements"] = installed_requirements()
        values.update(overrides)
        return EngineConfig(**values)
