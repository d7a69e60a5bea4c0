"""Starting cases from the web app: each role sees the starts the diagrams allow it, the
start form checks the data with Swedish field errors, and the case is the caller's own."""
from __future__ import annotations

from api.web.pages_tasks import shown_facts
from engine.commands import StartInstance

from ..api.test_api__starts import PARTICIPANT


def _procurement(engine):
    engine.execute(StartInstance("procurement", {"procurement_id": "UPH-1", "buyer_organisation": "Higab"},
                                 business_key="UPH-1"))


def test_each_role_sees_the_starts_its_diagrams_allow(browser, engine):
    page = browser("af").get("/").get_data(as_text=True)
    assert "Ny deltagare" in page and "Ny upphandling" in page and "Lämna anbud" not in page
    page = browser("bygg").get("/").get_data(as_text=True)
    assert "Lämna anbud" in page and "Ny deltagare" not in page
    assert browser("bygg").get("/ny/target_group").status_code == 403
    assert browser("af").get("/ny/nope").status_code == 404


def test_a_caseworker_registers_a_participant_for_its_own_body(browser, engine):
    _procurement(engine)
    af = browser("af")
    page = af.get("/ny/target_group").get_data(as_text=True)
    assert "Ny deltagare" in page and "Registreras i namn av Arbetsförmedlingen" in page
    assert 'name="case_owner"' not in page and "Angered" in page
    response = af.post("/ny/target_group", {"participant_id": "P-7"})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Formuläret har fel" in text and "Obligatoriskt fält" in text
    assert engine.queries.instances(process="target_group").total == 0
    response = af.post("/ny/target_group", {**PARTICIPANT, "participant_id": "P-7", "case_owner": "Bygg AB"})
    assert response.status_code == 302 and "/tasks/" in response.location
    [case] = engine.queries.instances(process="target_group").items
    assert case.business_key == "P-7"
    assert [t.organisation for t in engine.queries.instance(case.id)["open_tasks"]] == ["Arbetsförmedlingen"]
    again = af.post("/ny/target_group", {**PARTICIPANT, "participant_id": "P-7"})
    assert again.status_code == 409
    assert "Det finns redan ett ärende P-7" in again.get_data(as_text=True), again.get_data(as_text=True)[-3000:]


def test_the_decision_shows_the_facts_the_form_asks_for():
    schema = {"x-kedja-show": [{"path": "candidate.cv", "title": "Kandidatens CV-sammanfattning"},
                               {"path": "vacancy.title", "title": "Befattning"},
                               {"path": "vacancy.nope", "title": "X"}]}
    data = {"candidate": {"cv": "Körkort"}, "vacancy": {"title": "Trädgårdsarbetare"}}
    assert shown_facts(schema, data) == [("Kandidatens CV-sammanfattning", "Körkort"),
                                         ("Befattning", "Trädgårdsarbetare")]
