"""One procurement chain in Chromium, only through the pages, each step by a person of the
organisation whose lane it is: a buyer registers a procurement, two suppliers bid from their
own accounts, the buyer awards by choosing a bid, a caseworker registers a participant and the
matching body matches by the vacancy's title, the supplier decides with the CV in view, and the
follow-up shows the outcome with its charts drawn. Time moves by the engine's clock and sweep."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from playwright.sync_api import expect

from engine.commands import Sweep

from ..helpers import model_engine
from .conftest import PASSWORD, login, snap

pytestmark = pytest.mark.timeout(300)
UPH = "UPH-7"
USERS = {
    "higab": ("Higab", ["caseworker"]), "support": ("Upphandlingsbolaget", ["caseworker"]),
    "bygg": ("Bygg AB", ["supplier"]), "stad": ("Städ AB", ["supplier"]),
    "af": ("Arbetsförmedlingen", ["caseworker"]), "nordost": ("Samordningsförbundet Göteborg Nordost", ["caseworker"]),
    "vux": ("Vuxenutbildningsförvaltningen", ["caseworker"]),
}


@pytest.fixture
def engine(make_engine):
    return model_engine(make_engine, USERS, PASSWORD)[0]


class Person:
    """One signed-in person in a browser context of their own."""

    def __init__(self, browser, base_url, username):
        self.context = browser.new_context(base_url=base_url, locale="sv-SE", viewport={"width": 1400, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda err: self.errors.append(str(err)))
        login(self.page, username)

    def fill(self, values: dict) -> None:
        for name, value in values.items():
            field = self.page.locator(f'[name="{name}"]')
            if field.evaluate("e => e.tagName") == "SELECT":
                if isinstance(value, bool):
                    field.select_option("true" if value else "false")
                elif isinstance(value, re.Pattern):
                    label = next(text for text in field.locator("option").all_inner_texts() if value.search(text))
                    field.select_option(label=label)
                else:
                    field.select_option(str(value))
            else:
                field.fill(str(value))

    def task(self, name: str, key: str, values: dict, shot: str | None = None) -> None:
        """Open the task `name` of case `key` from the inbox, fill it in, complete it."""
        self.page.goto("/?per_page=100")
        row = self.page.locator("#inbox tbody tr", has_text=key).filter(has=self.page.get_by_role("link", name=name))
        row.first.get_by_role("link", name=name).click()
        expect(self.page.get_by_role("heading", level=1)).to_contain_text(name)
        self.fill(values)
        self.before_completing(shot)
        self.page.get_by_role("button", name="Slutför").click()
        expect(self.page.locator(".flash").first).to_contain_text(f"Klart: {name}")

    def before_completing(self, shot: str | None) -> None:
        """The filled-in task page, before Slutför: a screenshot when asked for."""
        if shot:
            snap(self.page, shot)

    def start(self, link: str, values: dict) -> None:
        self.page.goto("/")
        self.page.get_by_role("navigation").get_by_role("link", name=link).click()
        expect(self.page.get_by_role("heading", level=1)).to_have_text(link)
        self.fill(values)
        self.page.get_by_role("button", name="Registrera").click()
        expect(self.page.locator(".flash").first).to_contain_text("Registrerat")


def test_one_chain_through_the_pages(engine, clock, browser, base_url):
    people = {name: Person(browser, base_url, name) for name in USERS}
    higab, support, bygg, stad, af = (people[n] for n in ("higab", "support", "bygg", "stad", "af"))

    def at(year, month, day):
        clock.set(datetime(year, month, day, 9, 0, tzinfo=timezone.utc))
        while engine.execute(Sweep()).timers_fired:
            pass

    at(2026, 1, 5)
    higab.start("Ny upphandling", {"procurement_id": UPH})
    higab.fill({"title": "Grönyteskötsel", "kind": "service", "estimated_value_msek": "25",
                "contract_start": "2026-04-01", "duration_months": "12", "estimated_workers": "3",
                "framework_agreement": False})  # straight on to the first task, the buyer's own
    higab.page.get_by_role("button", name="Slutför").click()
    support.task("Kompetens- och behovsinventering", UPH, {
        "competences[0].competence": "Trädgårdsarbetare", "competences[0].level": "entry",
        "competences[0].count": "1", "competences[0].needed_by": "2026-05-01"})
    higab.task("Tidig dialog och beslut om krav", UPH, {
        "requirement_kind": "binding", "places": "1", "required_months": "12", "matching_body": "Upphandlingsbolaget"})
    higab.task("Publicera upphandling", UPH, {"published_on": "2026-01-05", "tender_deadline": "2026-02-01T12:00"})

    for supplier, reference in ((bygg, "A-1"), (stad, "B-1")):  # each bids as itself
        supplier.start("Lämna anbud", {"procurement_id": re.compile(UPH)})
        expect(supplier.page.get_by_role("heading", level=1)).to_contain_text("Lämna anbud")
        supplier.fill({"bid_reference": reference, "attended_dialogue": True})
        supplier.page.get_by_role("button", name="Slutför").click()

    af.start("Ny deltagare", {"participant_id": "P-1", "procurement_id": re.compile(UPH), "district": "Angered",
                              "coordination_association": "Samordningsförbundet Göteborg Nordost"})
    af.fill({"target_group": "young", "gender": "man", "birth_year": "2003"})
    af.page.get_by_role("button", name="Slutför").click()

    at(2026, 2, 2)  # the tender has closed
    higab.task("Utvärdera anbud och tilldela", UPH, {"awarded_supplier_id": re.compile("Bygg AB – anbud A-1"),
                                                     "contract_id": "AVT-7"}, shot="journey_award_by_bid")
    at(2026, 2, 13)
    higab.task("Teckna avtal", UPH, {"signed_on": "2026-02-13"})
    support.task("Startmöte med leverantör och matchningsansvarig", UPH,
                 {"fulfilment_date": "2026-12-01", "follow_up_plan": "Månadsvis"})
    support.task("Första möte med matchningsansvarig", f"{UPH}/Bygg AB", {"met_on": "2026-02-13",
                                                                      "contact_person": "Kim"})
    bygg.task("Anmäl rekryteringsbehov", f"{UPH}/Bygg AB", {
        "vacancies[0].title": "Trädgårdsarbetare", "vacancies[0].positions": "1", "vacancies[0].form": "employment",
        "vacancies[0].start_date": "2026-06-01"})
    af.task("Utredning och bedömning", "P-1", {"continue_programme": True})
    people["nordost"].task("Samordna insatser", "P-1", {"plan": "Basutbildning"})
    people["vux"].task("Basutbildning", "P-1", {"training_completed": True, "training_months": "2"})
    support.task("Matcha mot ledig tjänst", "P-1", {"matching_outcome": "propose",
                                                    "vacancy_id": re.compile("^Trädgårdsarbetare – Bygg AB"),
                                                    "cv_summary": "Körkort, två års erfarenhet"},
                 shot="journey_match_by_vacancy_title")

    bygg.page.goto("/?per_page=100")
    bygg.page.get_by_role("link", name="Intervjua och besluta").first.click()
    facts = bygg.page.locator(".underlag")
    expect(facts).to_contain_text("Körkort, två års erfarenhet")
    expect(facts).to_contain_text("Trädgårdsarbetare")
    snap(bygg.page, "journey_decide_with_the_cv_in_view")
    bygg.fill({"accepted": True, "placement_form": "employment", "placement_start": "2026-06-01",
               "placement_end": "2026-05-01", "extent_percent": "100"})
    bygg.page.get_by_role("button", name="Slutför").click()  # the end before the start: refused
    expect(bygg.page.locator(".field.invalid")).to_contain_text("Får inte vara före")
    bygg.fill({"placement_end": "2027-05-31"})
    bygg.page.get_by_role("button", name="Slutför").click()
    expect(bygg.page.locator(".flash").first).to_contain_text("Klart: Intervjua och besluta")

    at(2026, 6, 2)
    # The outcome has one source: the supplier's follow-up; the matching body then gives the certificate.
    support.task("Följ upp praktik, trainee eller anställning", "P-1", {"followed_up_on": "2026-06-02"})
    bygg.task("Följ upp placering", f"{UPH}/Bygg AB", {"outcome": "completed"})
    support.task("Intyg till deltagaren", "P-1", {"certificate_issued_on": "2026-06-02",
                                                   "certificate_issued_by": "Bygg AB"})

    page = higab.page
    page.goto("/uppfoljning")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Uppföljning")
    page.wait_for_function("() => document.querySelectorAll('canvas').length > 0")
    drawn = page.evaluate("""() => [...document.querySelectorAll('canvas')].map(canvas => {
        const chart = window.Chart && window.Chart.getChart(canvas);
        const values = chart ? chart.data.datasets.flatMap(d => d.data) : [];
        // null is a phase nobody has passed yet (a gap in the chart), never an object
        return {id: canvas.id, numbers: values.some(v => typeof v === 'number')
                                        && values.every(v => typeof v === 'number' || v === null),
                total: values.reduce((a, b) => a + (typeof b === 'number' ? b : 0), 0)};
    })""")
    assert drawn and all(chart["numbers"] for chart in drawn), drawn
    assert any(chart["total"] > 0 for chart in drawn), drawn
    snap(page, "journey_follow_up")
    for person in people.values():
        assert person.errors == [], person.errors
        person.context.close()
