"""Demo mode is visible, production refuses demo accounts: `kedja demo` seeds and serves with
the app's KEDJA_DEMO (a banner on every page, "mode": "demo" in the health answer); `kedja
serve` does not start while any account's password is the demo password."""
from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

import api.cli
from api import create_app
from api.cli import DEMO_PASSWORD, main, refuse_demo_passwords
from engine.accounts import add_organisation, add_user

from ..helpers import model_engine

BANNER = "Demoläge – påhittade användare och ärenden. Använd inte riktiga uppgifter."
PASSWORD = "rätt-lösen-1"


@pytest.fixture
def engine(make_engine):
    return model_engine(make_engine, {"af": ("Arbetsförmedlingen", ["caseworker"])}, PASSWORD)[0]


def _signed_in(client):
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    assert client.post("/login", data={"username": "af", "password": PASSWORD, "csrf_token": token}).status_code == 302
    return client


@pytest.mark.parametrize("demo", [True, False])
def test_the_banner_is_on_every_page_in_demo_mode_only(engine, demo):
    app = create_app({"KEDJA_ENGINE": engine, "SECRET_KEY": "t", **({"KEDJA_DEMO": True} if demo else {})})
    client = app.test_client()
    pages = [client.get("/login"), client.get("/no-such-page"), client.get("/api/docs")]
    _signed_in(client)
    pages += [client.get("/"), client.get("/uppfoljning")]
    for page in pages:
        assert page.mimetype == "text/html"
        assert (BANNER in page.get_data(as_text=True)) is demo, page.request.path


def test_health_tells_the_mode(engine):
    assert create_app({"KEDJA_ENGINE": engine}).test_client().get("/api/v1/health").json["mode"] == "production"
    demo = create_app({"KEDJA_ENGINE": engine, "KEDJA_DEMO": True}).test_client().get("/api/v1/health").json
    assert demo == {"status": "ok", "database": engine.sql_engine.dialect.name, "mode": "demo",
                    "demo_time": engine.now().isoformat()}


def test_a_request_cannot_turn_demo_mode_on(engine):
    client = create_app({"KEDJA_ENGINE": engine}).test_client()
    health = client.get("/api/v1/health?mode=demo&KEDJA_DEMO=1", headers={"X-Kedja-Demo": "1"})
    assert health.json["mode"] == "production"
    assert BANNER not in client.get("/login?KEDJA_DEMO=1").get_data(as_text=True)


@pytest.fixture
def cli_database(database_url, monkeypatch, tmp_path):
    """`kedja` commands (open_engine) on this test's database; `kedja demo`'s options for a tokens
    file of the test's own."""
    url, schema = database_url
    monkeypatch.setenv("KEDJA_DATABASE_URL", url)
    if schema:
        monkeypatch.setenv("KEDJA_DATABASE_SCHEMA", schema)
    monkeypatch.setenv("KEDJA_SECRET_KEY", "cli-tests")  # none written to var/
    return ["--tokens-file", str(tmp_path / "demo-tokens.txt")]


def test_serve_refuses_a_database_with_the_demo_password(cli_database, monkeypatch):
    served = []
    monkeypatch.setattr(api.cli, "waitress_serve", lambda app, **kwargs: served.append(app))
    monkeypatch.setattr(api.cli, "start_background", lambda engine: None)
    seeded = CliRunner().invoke(main, ["demo", "--seed-only", *cli_database])
    assert seeded.exit_code == 0, seeded.output
    assert "demo users" in seeded.output and served == []
    refused = CliRunner().invoke(main, ["serve"])
    assert refused.exit_code == 1 and served == []
    assert f"have the demo password '{DEMO_PASSWORD}'" in refused.output
    assert "17 account(s)" in refused.output and "angered-caseworker" in refused.output


def test_demo_seeds_and_serves_in_demo_mode(cli_database, monkeypatch):
    served = []
    monkeypatch.setattr(api.cli, "waitress_serve", lambda app, **kwargs: served.append((app, kwargs)))
    monkeypatch.setattr(api.cli, "start_background", lambda engine: None)
    result = CliRunner().invoke(main, ["demo", "--port", "8123", "--threads", "3", *cli_database])
    assert result.exit_code == 0, result.output
    assert "DEMO MODE" in result.output and "; demo mode" in result.output
    (app, options), = served
    assert app.config["KEDJA_DEMO"] is True and options == {"host": "127.0.0.1", "port": 8123, "threads": 3}
    assert app.extensions["kedja"].config.demo is True  # its clock is the demo clock
    client = app.test_client()
    assert client.get("/api/v1/health").json["mode"] == "demo"
    assert {d.key for d in app.extensions["kedja"].queries.definitions()} >= {"procurement", "target_group"}
    page = client.get("/login").get_data(as_text=True)  # a demo user signs in
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    signed_in = client.post("/login", data={"username": "higab-caseworker", "password": DEMO_PASSWORD,
                                            "csrf_token": token})
    assert signed_in.status_code == 302
    assert BANNER in client.get("/").get_data(as_text=True)


def test_serve_starts_in_production_without_demo_accounts(engine, cli_database, monkeypatch):
    served = []
    monkeypatch.setattr(api.cli, "waitress_serve", lambda app, **kwargs: served.append(app))
    monkeypatch.setattr(api.cli, "start_background", lambda engine: None)
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 0, result.output
    assert "demo mode" not in result.output.lower()
    assert served[0].config["KEDJA_DEMO"] is False and served[0].extensions["kedja"].config.demo is False
    assert served[0].test_client().get("/api/v1/health").json["mode"] == "production"


def test_serve_does_not_log_waitress_queue_depth_for_every_waiting_request(engine, cli_database, monkeypatch):
    """Under a steady load waitress warns "Task queue depth is N" for every request that waits
    for a thread: a log nobody reads, at a cost. `kedja serve` keeps its errors only."""
    queue_log = logging.getLogger("waitress.queue")
    level = queue_log.level
    monkeypatch.setattr(api.cli, "waitress_serve", lambda app, **kwargs: None)
    monkeypatch.setattr(api.cli, "start_background", lambda engine: None)
    queue_log.setLevel(logging.NOTSET)
    try:
        assert queue_log.isEnabledFor(logging.WARNING)
        result = CliRunner().invoke(main, ["serve"])
        assert result.exit_code == 0, result.output
        assert not queue_log.isEnabledFor(logging.WARNING) and queue_log.isEnabledFor(logging.ERROR)
    finally:
        queue_log.setLevel(level)


def test_only_accounts_with_the_demo_password_are_refused(make_engine):
    engine = make_engine()
    with engine.uow() as uow:
        add_organisation(uow, "Higab")
        uow.repo.flush()
        add_user(uow, "riktig", "Higab", ["caseworker"], engine.now(), "ett-eget-lösenord")
        add_user(uow, "token-only", "Higab", ["caseworker"], engine.now())
        uow.commit()
    refuse_demo_passwords(engine)  # no demo password: nothing refused
    with engine.uow() as uow:
        add_user(uow, "kopia", "Higab", ["caseworker"], engine.now(), DEMO_PASSWORD)
        uow.commit()
    with pytest.raises(Exception, match="1 account\\(s\\) have the demo password.*kopia"):
        refuse_demo_passwords(engine)
