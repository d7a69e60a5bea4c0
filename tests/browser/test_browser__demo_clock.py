"""Demo mode in Chromium: the buyer publishes a tender with a deadline of a date and a time, the
administrator moves the demo clock ten days forward (*Spola fram*), the banner's *Demotid*
follows, and the evaluation task that the closed tender opens (a supplier has bid) is in the
buyer's inbox at once."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from ..helpers import model_engine
from ..scenarios.chain import Chain
from .conftest import PASSWORD, login, snap

pytestmark = pytest.mark.timeout(180)
UPH = "UPH-DEMO-7"
USERS = {"higab": ("Higab", ["caseworker"]), "admin": ("Upphandlingsbolaget", ["admin"])}
HIGAB, SUPPORT = "Higab", "Upphandlingsbolaget"


@pytest.fixture
def engine(make_engine):
    """The real model on an engine in demo mode (its clock: the test's clock plus the demo offset)."""
    return model_engine(lambda **kw: make_engine(demo=True, **kw), USERS, PASSWORD)[0]


def _to_publication(engine, clock) -> str:
    c = Chain(engine, clock)
    procurement = c.start("procurement", UPH, procurement_id=UPH, buyer_organisation=HIGAB)
    c.complete(procurement, "register", HIGAB, {
        "title": "Parkskötsel", "kind": "service", "estimated_value_msek": 10, "contract_start": "2026-06-01",
        "duration_months": 12, "estimated_workers": 4, "framework_agreement": False})
    c.complete(procurement, "needs_inventory", SUPPORT, {"competences": [
        {"competence": "Parkarbetare", "level": "entry", "count": 1, "needed_by": "2026-06-01"}]})
    c.complete(procurement, "requirement", HIGAB, {"requirement_kind": "binding", "places": 1,
                                                   "required_months": 12, "matching_body": SUPPORT})
    return procurement


def test_the_administrator_moves_the_demo_clock_and_the_tender_closes(engine, clock, browser, base_url, page):
    procurement = _to_publication(engine, clock)
    buyer_context = browser.new_context(base_url=base_url, locale="sv-SE", viewport={"width": 1400, "height": 900})
    buyer = buyer_context.new_page()
    buyer.set_default_timeout(15_000)
    errors: list[str] = []
    buyer.on("pageerror", lambda err: errors.append(str(err)))
    login(buyer, "higab")
    banner = buyer.locator(".demo-banner")
    expect(banner).to_contain_text("Demoläge")
    expect(banner).to_contain_text("Demotid: 2026-01-05 09:00")

    buyer.goto("/?per_page=100")
    buyer.get_by_role("link", name="Publicera upphandling").first.click()
    deadline = buyer.get_by_label("Sista anbudstid")
    assert deadline.get_attribute("type") == "datetime-local"
    buyer.get_by_label("Publicerad").fill("2026-01-05")
    deadline.fill("2026-01-12T14:00")  # a date and a time
    snap(buyer, "demo_clock_deadline_with_a_time")
    buyer.get_by_role("button", name="Slutför").click()
    expect(buyer.locator(".flash").first).to_contain_text("Klart: Publicera upphandling")
    [wait] = [w for w in engine.queries.instance(procurement)["waiting_for"] if w["kind"] == "timer"]
    assert wait["due_at"].isoformat() == "2026-01-12T13:00:00"  # 14:00 in Stockholm
    c = Chain(engine, clock)  # a supplier bids (its own pages are another test's subject)
    bidder = c.start("supplier", f"{UPH}/S1", procurement_id=UPH, supplier_id="S1", supplier_name="Bygg AB")
    c.complete(bidder, "bid", "Bygg AB", {"bid_reference": "A-1"})
    buyer.goto("/?per_page=100")
    expect(buyer.get_by_role("link", name="Utvärdera anbud och tilldela")).to_have_count(0)

    login(page, "admin")
    page.goto("/admin")
    clock_form = page.locator("#demo-clock")
    expect(clock_form).to_contain_text("Demotid: 2026-01-05 09:00")
    clock_form.get_by_label("Hur långt").select_option(label="10 dagar")
    snap(page, "demo_clock_before")
    clock_form.get_by_role("button", name="Spola fram").click()
    expect(page.locator(".flash").first).to_contain_text(
        "Klockan är framspolad 10 dagar. Demotid: 2026-01-15 09:00. Timrar som löste ut: 1.")
    expect(page.locator(".demo-banner")).to_contain_text("Demotid: 2026-01-15 09:00")
    expect(page.locator("#demo-clock")).to_contain_text("senast framspolad av admin")

    buyer.goto("/?per_page=100")  # the tender closed at once, not at the next background sweep
    expect(buyer.locator(".demo-banner")).to_contain_text("Demotid: 2026-01-15 09:00")
    expect(buyer.locator("#inbox tbody tr", has_text=UPH)).to_contain_text("Utvärdera anbud och tilldela")
    snap(buyer, "demo_clock_task_after_the_move")
    buyer_context.close()
    assert errors == []
