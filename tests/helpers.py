"""Helpers shared by the tests: fixture diagrams and deployment."""
from __future__ import annotations

import os
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from engine.commands import Deploy
from engine.service import Engine

FIXTURES = Path(__file__).parent / "fixtures"
PG_URL = os.environ.get("KEDJA_TEST_DATABASE_URL")

requires_postgres = pytest.mark.skipif(not PG_URL, reason="needs KEDJA_TEST_DATABASE_URL (PostgreSQL)")


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def scripted_bpmn(script: str = "total = amount * 2", condition: str = "total > 100",
                  payload: str = '{"case_id": case_id, "total": total}') -> str:
    """The 'scripted' process with the given script task, gateway condition and message payload."""
    template = (FIXTURES / "scripted.bpmn.tmpl").read_text(encoding="utf-8")
    return template.format(script=escape(script), condition=escape(condition), payload=escape(payload))


def timed_script_bpmn(key: str, script: str) -> str:
    """A process `key` that waits an hour, runs `script`, then opens a user task."""
    template = (FIXTURES / "timed_script.bpmn.tmpl").read_text(encoding="utf-8")
    return template.replace("{key}", key).replace("{script}", escape(script))


def deploy(engine: Engine, *names: str):
    return engine.execute(Deploy(tuple((name, fixture_bytes(name)) for name in names)))


def model_engine(make_engine, users: dict[str, tuple[str, list[str]]],
                 password: str | None = None, **overrides) -> tuple[Engine, dict[str, str]]:
    """An engine (`overrides`: its settings) with the real model deployed and `users` (username:
    (organisation, roles)) added; returns it and the users' API tokens."""
    from engine.accounts import add_organisation, add_user
    from goteborg.demo import DEMO_ORGANISATIONS

    engine = make_engine(forms_dir=str(FIXTURES / "forms"), **overrides)  # the model's forms and the fixtures' own
    model = ("procurement", "supplier", "target_group")
    processes = Path(__file__).resolve().parents[1] / "processes"
    engine.execute(Deploy(tuple((f"{key}.bpmn", (processes / f"{key}.bpmn").read_bytes()) for key in model)))
    tokens = {}
    with engine.uow() as uow:
        # the demo's organisations with their kinds (a start form's district must be a district)
        for organisation in sorted({org for org, _roles in users.values()} | set(DEMO_ORGANISATIONS)):
            add_organisation(uow, organisation, DEMO_ORGANISATIONS.get(organisation, (None,))[0])
        uow.repo.flush()
        for username, (organisation, roles) in users.items():
            tokens[username] = add_user(uow, username, organisation, roles, engine.now(), password)
        uow.commit()
    return engine, tokens
