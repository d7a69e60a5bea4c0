"""The demo walk-through of issue 17 in Chromium: one procurement from its registration to a
sanction decision, only through the pages, in demo mode. Each step is done by the person whose
lane it is, signed in with the demo's own kind of account (`higab-caseworker`,
`upphandlingsbolaget-caseworker`, `byggab-supplier`, …, password kedja-demo), and the
administrator moves the demo clock with *Spola fram* where a deadline blocks: the tender's
closing, the standstill, the six-month rule. A participant is prepared and reaches matching on
the way, whose vacancy list shows the distribution key. Screenshots of the key steps are saved
(test-output/screenshots/walkthrough_*.png)."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from api.cli import DEMO_PASSWORD

from ..helpers import model_engine
from .conftest import login, snap
from .test_browser__chain_journey import Person

pytestmark = pytest.mark.timeout(300)
UPH = "UPH-DEMO-9"
SUPPLIER_CASE = f"{UPH}/Bygg AB"
USERS = {
    "higab-caseworker": ("Higab", ["caseworker"]),
    "upphandlingsbolaget-caseworker": ("Upphandlingsbolaget", ["caseworker"]),
    "byggab-supplier": ("Bygg AB", ["supplier"]),
    "angered-caseworker": ("Angered", ["caseworker"]),
    "samordningsforbundetgoteborgnordost-caseworker": ("Samordningsförbundet Göteborg Nordost", ["caseworker"]),
    "vuxenutbildningsforvaltningen-caseworker": ("Vuxenutbildningsförvaltningen", ["caseworker"]),
    "upphandlingsbolaget-admin": ("Upphandlingsbolaget", ["admin"]),
}


@pytest.fixture
def engine(make_engine):
    """The real model on an engine in demo mode, with the demo's password."""
    return model_engine(lambda **kw: make_engine(demo=True, **kw), USERS, DEMO_PASSWORD)[0]


class DemoPerson(Person):
    """A person signed in with the demo's password."""

    def __init__(self, browser, base_url, username):  # Person's own, with another password
        self.context = browser.new_context(base_url=base_url, locale="sv-SE", viewport={"width": 1400, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda err: self.errors.append(str(err)))
        login(self.page, username, DEMO_PASSWORD)

    def before_completing(self, shot: str | None) -> None:
        """Every task page checked for codes shown instead of Swedish (and its screenshot)."""
        swedish_only(self, shot)


def swedish_only(person: Person, name: str | None = None) -> None:
    """No code (a snake_case key or value such as `first_placement_due` or `no_bids`) among the
    words the person sees; with `name`, a screenshot too."""
    if name:
        snap(person.page, name)
    codes = re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b", person.page.locator("body").inner_text())
    assert codes == [], f"{person.page.url}: codes shown instead of Swedish: {codes}"


def forward(admin: Person, step: str, demo_time: str) -> None:
    """The administrator moves the demo clock `step` ("10 dagar", "6 månader") forward."""
    admin.page.goto("/admin")
    clock = admin.page.locator("#demo-clock")
    clock.get_by_label("Hur långt").select_option(label=step)
    clock.get_by_role("button", name="Spola fram").click()
    expect(admin.page.locator(".flash").first).to_contain_text(f"Demotid: {demo_time}")


def test_a_procurement_from_registration_to_a_sanction_decision_in_demo_mode(engine, browser, base_url):
    started = time.monotonic()
    people = {name: DemoPerson(browser, base_url, name) for name in USERS}
    higab, support, bygg, angered, admin = (people[n] for n in (
        "higab-caseworker", "upphandlingsbolaget-caseworker", "byggab-supplier", "angered-caseworker",
        "upphandlingsbolaget-admin"))
    expect(higab.page.locator(".demo-banner")).to_contain_text("Demotid: 2026-01-05 09:00")

    # The buyer registers the procurement; Stödfunktionen inventories; the buyer decides a
    # binding requirement with Stödfunktionen as the matching body and publishes.
    higab.start("Ny upphandling", {"procurement_id": UPH})
    higab.fill({"title": "Fastighetsskötsel Angered", "kind": "service", "estimated_value_msek": "30",
                "contract_start": "2026-01-15", "duration_months": "12", "estimated_workers": "4",
                "framework_agreement": False})
    swedish_only(higab, "walkthrough_01_register")
    higab.page.get_by_role("button", name="Slutför").click()
    expect(higab.page.locator(".flash").first).to_contain_text("Klart: Registrera på bruttolistan")
    support.task("Kompetens- och behovsinventering", UPH, {
        "competences[0].competence": "Fastighetsskötare", "competences[0].level": "entry",
        "competences[0].count": "1", "competences[0].needed_by": "2026-03-01"})
    higab.task("Tidig dialog och beslut om krav", UPH, {
        "requirement_kind": "binding", "places": "1", "required_months": "12",
        "matching_body": "Upphandlingsbolaget"})
    higab.task("Publicera upphandling", UPH, {"published_on": "2026-01-05", "tender_deadline": "2026-01-12T12:00"})

    # The supplier bids from its own account; a participant is registered for the procurement.
    bygg.start("Lämna anbud", {"procurement_id": re.compile(UPH)})
    bygg.fill({"bid_reference": "A-9", "attended_dialogue": True})
    bygg.page.get_by_role("button", name="Slutför").click()
    expect(bygg.page.locator(".flash").first).to_contain_text("Klart: Lämna anbud")
    angered.start("Ny deltagare", {"participant_id": "P-DEMO-9", "procurement_id": re.compile(UPH),
                                   "district": "Angered",
                                   "coordination_association": "Samordningsförbundet Göteborg Nordost"})
    angered.fill({"target_group": "young", "gender": "woman", "birth_year": "2002"})
    angered.page.get_by_role("button", name="Slutför").click()
    expect(angered.page.locator(".flash").first).to_contain_text("Klart: Identifiera deltagare")

    # The tender's deadline blocks: ten days forward, and the evaluation is in the buyer's inbox.
    forward(admin, "10 dagar", "2026-01-15 09:00")
    swedish_only(admin, "walkthrough_02_clock_moved")
    higab.task("Utvärdera anbud och tilldela", UPH, {"awarded_supplier_id": re.compile("Bygg AB – anbud A-9"),
                                                     "contract_id": "AVT-9"})
    forward(admin, "10 dagar", "2026-01-25 09:00")
    forward(admin, "1 dag", "2026-01-26 09:00")  # the standstill is over
    higab.task("Teckna avtal", UPH, {"signed_on": "2026-01-26"})
    support.task("Startmöte med leverantör och matchningsansvarig", UPH,
                 {"fulfilment_date": "2027-01-15", "follow_up_plan": "Månadsvis uppföljning"})
    support.task("Första möte med matchningsansvarig", SUPPLIER_CASE, {"met_on": "2026-01-26",
                                                                       "contact_person": "Kim"})
    bygg.task("Anmäl rekryteringsbehov", SUPPLIER_CASE, {
        "vacancies[0].title": "Fastighetsskötare", "vacancies[0].positions": "1",
        "vacancies[0].form": "employment", "vacancies[0].start_date": "2026-03-01",
        "vacancies[0].district": "Angered"}, shot="walkthrough_03_recruitment_need")

    # The participant is prepared; the matching body sees the vacancy by title, supplier,
    # district (against the distribution key) and procurement, but proposes nobody yet.
    angered.task("Utredning och bedömning", "P-DEMO-9", {"continue_programme": True})
    people["samordningsforbundetgoteborgnordost-caseworker"].task("Samordna insatser", "P-DEMO-9",
                                                                  {"plan": "Basutbildning"})
    people["vuxenutbildningsforvaltningen-caseworker"].task("Basutbildning", "P-DEMO-9", {
        "training_completed": True, "training_months": "1"})
    support.page.goto("/?per_page=100")
    support.page.locator("#inbox tbody tr", has_text="P-DEMO-9").get_by_role(
        "link", name="Matcha mot ledig tjänst").click()
    options = support.page.locator('[name="vacancy_id"] option').all_inner_texts()
    assert any("Fastighetsskötare – Bygg AB" in text and "Angered (16 procentenheter under fördelningsnyckeln)"
               in text and f"Fastighetsskötsel Angered ({UPH})" in text for text in options), options
    support.fill({"matching_outcome": "propose", "vacancy_id": re.compile("^Fastighetsskötare – Bygg AB")})
    swedish_only(support, "walkthrough_04_matching_by_the_key")

    # No placement six months after the contract start: the correction, the answer, the sanction.
    forward(admin, "6 månader", "2026-07-28 10:00")  # summer time
    higab.task("Begär rättelse", UPH, {"deviation": "Ingen placering inom sex månader",
                                       "correction_deadline": "2026-08-15T12:00"}, shot="walkthrough_05_correction")
    # The supplier first sends the monthly report the six months opened (the request waits for it).
    for _ in range(8):
        bygg.page.goto("/?per_page=100")
        if bygg.page.get_by_role("link", name="Besvara begäran om rättelse").count():
            break
        bygg.task("Lämna månadsrapport", SUPPLIER_CASE, {"months_delivered": "0", "active_placements": "0"})
    bygg.task("Besvara begäran om rättelse", SUPPLIER_CASE, {"measures": "Intervjuer bokade i augusti"})
    higab.task("Bedöm åtgärd", UPH, {"remedied": False})
    higab.task("Besluta om sanktion", UPH, {"sanction_kind": "penalty", "sanction_amount_sek": "50000"},
               shot="walkthrough_06_sanction")
    bygg.task("Ta del av sanktionsbeslut", SUPPLIER_CASE, {"acknowledged": True})
    for name in ("higab-caseworker", "byggab-supplier", "angered-caseworker"):  # what is left in each inbox
        people[name].page.goto("/?per_page=100")
        swedish_only(people[name], f"walkthrough_08_inbox_{name}")

    higab.page.goto("/uppfoljning")
    expect(higab.page.locator("#contracts")).to_contain_text(UPH)
    expect(higab.page.locator("#districts")).to_contain_text("Angered")
    swedish_only(higab, "walkthrough_07_follow_up")
    for person in people.values():
        assert person.errors == [], person.errors
        person.context.close()
    assert time.monotonic() - started < 240, "the walk-through must stay well under 15 minutes"
