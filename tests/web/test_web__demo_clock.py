"""The demo clock on the administrator's pages: *Spola fram* moves it forward in demo mode (the
banner's *Demotid* follows, due timers fire); outside demo mode there is no form and a posted
one is refused in Swedish; only administrators may move it."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from api import create_app
from api.web.pages_admin import CLOCK_STEPS
from engine.commands import StartInstance

from ..helpers import deploy, model_engine
from .conftest import PASSWORD, USERS, Browser


@pytest.fixture
def demo_engine(make_engine):
    return model_engine(lambda **kw: make_engine(demo=True, **kw), USERS, PASSWORD)[0]


@pytest.fixture
def demo_browser(demo_engine):
    app = create_app({"KEDJA_ENGINE": demo_engine, "SECRET_KEY": "web-tests"})

    def make(username):
        browser = Browser(app.test_client())
        browser.login(username)
        return browser
    return make


def _demo_time(page: str) -> str:
    return re.search(r"Demotid: (\d{4}-\d\d-\d\d \d\d:\d\d)", page).group(1)


def test_spola_fram_moves_the_clock_and_fires_due_timers(demo_engine, demo_browser, clock):
    deploy(demo_engine, "deadlines.bpmn")  # its first report falls due after 30 days
    started = demo_engine.execute(StartInstance("deadlines"))
    admin = demo_browser("admin")
    page = admin.get("/admin").get_data(as_text=True)
    assert "Spola fram" in page and 'id="demo-clock"' in page
    assert _demo_time(page) == "2026-01-05 09:00"  # 08:00 UTC in Stockholm
    for key, (_days, _hours, label) in CLOCK_STEPS.items():
        assert f'value="{key}"' in page and label in page

    moved = admin.post("/admin/clock", {"step": "10d", "back": "/admin/incidents"})
    assert moved.status_code == 302 and moved.location.endswith("/admin/incidents")
    page = admin.get("/admin/incidents").get_data(as_text=True)
    assert "Klockan är framspolad 10 dagar. Demotid: 2026-01-15 09:00." in page
    assert _demo_time(page) == "2026-01-15 09:00" and "senast framspolad av admin" in page
    assert demo_engine.now() == clock.now() + timedelta(days=10)

    clock.advance(minutes=1)  # real time passes between the moves too
    for _ in range(2):
        admin.post("/admin/clock", {"step": "10d"})
    page = admin.get("/admin").get_data(as_text=True)
    assert "Timrar som löste ut: 1." in page  # day 30 passed: the report opened at once
    assert [t.element_id for t in demo_engine.queries.instance(started.id)["open_tasks"]] == ["report"]
    assert _demo_time(admin.get("/uppfoljning").get_data(as_text=True)) == "2026-02-04 09:01"  # every page


def test_an_unknown_step_moves_nothing(demo_engine, demo_browser, clock):
    admin = demo_browser("admin")
    admin.post("/admin/clock", {"step": "100y"})
    assert "Välj hur långt klockan ska spolas fram." in admin.get("/admin").get_data(as_text=True)
    assert demo_engine.now() == clock.now()


def test_only_administrators_move_the_clock(demo_engine, demo_browser, clock):
    owner = demo_browser("owner")
    assert 'id="demo-clock"' not in owner.get("/uppfoljning").get_data(as_text=True)
    assert owner.post("/admin/clock", {"step": "10d"}).status_code == 403
    assert demo_engine.now() == clock.now()


def test_outside_demo_mode_there_is_no_clock_to_move(engine, browser, clock):
    admin = browser("admin")
    page = admin.get("/admin").get_data(as_text=True)
    assert "Spola fram" not in page and "Demotid" not in page
    admin.post("/admin/clock", {"step": "10d"})
    assert ("Klockan spolades inte fram. Klockan kan bara spolas fram i demoläge. Här går den verkliga tiden."
            in admin.get("/admin").get_data(as_text=True))
    assert engine.now() == clock.now()


def test_a_posted_move_needs_the_pages_csrf_token(demo_engine, demo_browser, clock):
    admin = demo_browser("admin")
    refused = admin.post("/admin/clock", {"step": "10d"}, with_token=False)
    assert refused.status_code in (302, 400)
    assert demo_engine.now() == clock.now()
