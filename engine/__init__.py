"""Kedja's process engine: a library with no web framework in it.

This module is the engine's public surface: what the web application (api/) and other callers
may use. Build an `Engine` with `build_engine(config)` and call `engine.execute(command)` with a
command from `engine.commands`; read with `engine.queries`. The modules behind it are the
engine's own; an import contract (`lint-imports`, run by CI) keeps api/ on this surface.
"""
from .accounts import (
    ROLES,
    Account,
    add_organisation,
    add_user,
    by_password,
    by_session,
    by_token,
    organisation_exists,
    session_generation,
    sign_in_external,
    username_is_external,
    users_with_password,
)
from .cli import PROCESSES_DIR, deploy_initial, open_engine
from .cli import main as engine_cli
from .clock import Clock, FrozenClock, utc_naive
from .commands import (
    Actor,
    AdvanceDemoClock,
    ClaimTask,
    CompleteTask,
    CorrelateMessage,
    Deploy,
    DeployForm,
    DetectStalls,
    EndSessions,
    MigrateInstance,
    MigrateVersion,
    RecordAccess,
    ReleaseTask,
    ResetInstance,
    ResumeInstance,
    RetryIncident,
    RetryInstance,
    StartInstance,
    SuspendInstance,
    Sweep,
    TerminateInstance,
)
from .config import EngineConfig
from .definitions import read_xml
from .demo import state as demo_time
from .errors import (
    ConcurrentUpdate,
    DeploymentRejected,
    EngineError,
    Forbidden,
    InvalidInput,
    InvalidState,
    NotFound,
    NotYours,
    Problem,
    StepFailed,
)
from .form_options import OptionReader
from .form_store import FORM_KEY, MAX_FORM_BYTES, canonical
from .incidents import incidents as list_incidents
from .migrate import upgrade as migrate_database
from .queries import INBOX_SORTS, Page
from .requirements import Requirement
from .roles import DeclaredRoles, declared_roles
from .scheduler import start_background
from .service import Engine, build_engine
from .statuses import ACTIVE, FINISHED, InstanceStatus, MessageStatus, TaskState, WaitKind
from .stepping import current_settings

ACTIVE_STATUSES = ACTIVE

__all__ = [
    "ACTIVE", "ACTIVE_STATUSES", "Account", "Actor", "AdvanceDemoClock", "ClaimTask", "Clock",
    "CompleteTask", "ConcurrentUpdate", "CorrelateMessage",
    "DeclaredRoles", "Deploy", "DeployForm", "DeploymentRejected", "DetectStalls", "EndSessions",
    "Engine", "EngineConfig", "EngineError", "FINISHED", "FORM_KEY", "Forbidden", "FrozenClock",
    "INBOX_SORTS", "InstanceStatus", "InvalidInput", "InvalidState", "MAX_FORM_BYTES",
    "MessageStatus", "MigrateInstance", "MigrateVersion", "NotFound", "NotYours", "OptionReader",
    "PROCESSES_DIR", "Page", "Problem", "ROLES", "RecordAccess", "ReleaseTask", "Requirement",
    "ResetInstance", "ResumeInstance", "RetryIncident", "RetryInstance", "StartInstance",
    "StepFailed", "SuspendInstance", "Sweep", "TaskState", "TerminateInstance", "WaitKind",
    "add_organisation", "add_user", "build_engine", "by_password", "by_session", "by_token",
    "canonical", "current_settings", "declared_roles", "demo_time", "deploy_initial", "engine_cli",
    "list_incidents", "migrate_database", "open_engine", "organisation_exists", "read_xml",
    "session_generation", "sign_in_external", "start_background", "username_is_external",
    "users_with_password", "utc_naive",
]
