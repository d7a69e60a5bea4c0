"""POST /api/v1/admin/clock: in demo mode an administrator moves the clock forward and the
timers that fell due fire; the health answer tells the demo time. Outside demo mode (or for
anyone but an administrator) it is refused with problem+json, and the clock stays the real one."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from api import create_app
from engine.commands import StartInstance

from ..helpers import deploy, model_engine
from .conftest import USERS, Client

LIMITS = {"TESTING": True, "KEDJA_API_AUTH_LIMIT": "100000 per minute"}


@pytest.fixture
def demo_model(make_engine):
    return model_engine(lambda **kw: make_engine(demo=True, **kw), USERS)


@pytest.fixture
def demo_call(demo_model):
    engine, tokens = demo_model
    return Client(create_app({"KEDJA_ENGINE": engine, **LIMITS}).test_client(), tokens)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def test_an_administrator_moves_the_demo_clock_and_due_timers_fire(demo_model, demo_call, clock):
    engine = demo_model[0]
    deploy(engine, "deadlines.bpmn")  # its first report falls due after 30 days
    started = engine.execute(StartInstance("deadlines"))
    health = demo_call("GET", "/api/v1/health").json
    assert health["mode"] == "demo" and _utc(health["demo_time"]) == clock.now()

    moved = demo_call("POST", "/api/v1/admin/clock", "admin", json={"days": 30, "hours": 1})
    assert moved.status_code == 200, moved.json
    assert moved.json["timers_fired"] == 1 and moved.json["moved_by"] == "admin"
    assert moved.json["offset_seconds"] == timedelta(days=30, hours=1).total_seconds()
    assert _utc(moved.json["now"]) == clock.now() + timedelta(days=30, hours=1)
    assert [t.element_id for t in engine.queries.instance(started.id)["open_tasks"]] == ["report"]
    assert _utc(demo_call("GET", "/api/v1/health").json["demo_time"]) == clock.now() + timedelta(days=30, hours=1)
    shown = demo_call("GET", "/api/v1/admin/clock", "admin").json
    assert shown["moved_by"] == "admin" and shown["offset_seconds"] == moved.json["offset_seconds"]


@pytest.mark.parametrize("user", ["higab", "owner", "bygg"])
def test_only_administrators_move_the_clock(demo_call, user):
    refused = demo_call("POST", "/api/v1/admin/clock", user, json={"days": 10})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert demo_call("POST", "/api/v1/admin/clock", json={"days": 10}).status_code == 401
    assert demo_call("GET", "/api/v1/admin/clock", "admin").json["offset_seconds"] == 0


@pytest.mark.parametrize("body", [{"days": -1}, {"days": 0}, {}, {"hours": "x"}, {"days": 401}])
def test_the_move_must_be_forward_and_sensible(demo_call, body):
    refused = demo_call("POST", "/api/v1/admin/clock", "admin", json=body)
    assert refused.status_code == 422 and refused.mimetype == "application/problem+json"


def test_outside_demo_mode_the_clock_is_real_and_cannot_be_moved(call, engine, clock):
    health = call("GET", "/api/v1/health").json
    assert health["mode"] == "production" and "demo_time" not in health
    refused = call("POST", "/api/v1/admin/clock", "admin", json={"days": 10})
    assert refused.status_code == 409 and refused.mimetype == "application/problem+json"
    assert "demo mode only" in refused.json["detail"]
    assert engine.now() == clock.now()
    assert call("GET", "/api/v1/admin/clock", "admin").json["offset_seconds"] == 0


def test_the_clock_is_in_the_openapi_document(call):
    spec = call("GET", "/api/openapi.json").json
    operation = spec["paths"]["/api/v1/admin/clock"]["post"]
    assert {"200", "403", "409", "422"} <= set(operation["responses"])
    assert "demo_time" in spec["components"]["schemas"]["Health"]["properties"]


def test_the_app_of_an_engine_in_demo_mode_is_in_demo_mode(demo_model):
    assert create_app({"KEDJA_ENGINE": demo_model[0]}).config["KEDJA_DEMO"] is True
