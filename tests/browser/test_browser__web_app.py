"""The web application in a real browser: what caseworkers, process owners and administrators
do with it."""
from __future__ import annotations

import html
import re

import pytest
from playwright.sync_api import expect

from engine.commands import Actor, CompleteTask, StartInstance
from engine.errors import StepFailed

from ..helpers import scripted_bpmn
from .conftest import login, snap

pytestmark = pytest.mark.timeout(120)
# A form key set on a task the way a diagram from elsewhere could have it (the modeller's picker
# offers only the forms there are).
SET_FORM_KEY = """([id, key]) => { const modeler = window.kedjaModeler;
  modeler.get("modeling").updateProperties(modeler.get("elementRegistry").get(id), { "kedja:formKey": key }); }"""


def _participant(engine, participant_id: str, case_owner: str) -> str:
    return engine.execute(StartInstance("target_group", {
        "participant_id": participant_id, "procurement_id": "UPH-1", "case_owner": case_owner,
        "district": "Angered", "coordination_association": "Samordningsförbundet Göteborg Nordost"},
        business_key=participant_id)).id


def test_a_caseworker_logs_in_and_sees_only_her_organisations_tasks(engine, page):
    _participant(engine, "P-AF-1", "Arbetsförmedlingen")
    _participant(engine, "P-AF-2", "Arbetsförmedlingen")
    _participant(engine, "P-ANG-1", "Angered")

    login(page, "af", "fel-lösenord")
    expect(page.get_by_role("alert")).to_contain_text("Fel användarnamn eller lösenord")
    login(page, "af")

    expect(page.get_by_role("heading", name=re.compile("Inkorg"))).to_contain_text("Arbetsförmedlingen")
    rows = page.locator("#inbox tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#inbox")).to_contain_text("P-AF-1")
    expect(page.locator("#inbox")).not_to_contain_text("P-ANG-1")
    expect(rows.first).to_contain_text("1 Identifiering")
    snap(page, "inbox_arbetsformedlingen")

    rows.first.get_by_role("button", name="Ta").click()  # claim, then filter on what is taken
    expect(page.get_by_role("status")).to_contain_text("Du har tagit uppgiften")
    page.get_by_label("Tagen").select_option("yes")
    page.get_by_role("button", name="Visa").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("af")

    page.goto("/admin")  # not an administrator
    expect(page.get_by_role("heading")).to_contain_text("inte behörighet")


def test_a_task_is_completed_after_its_errors_are_shown_and_corrected(engine, page):
    instance_id = _participant(engine, "P-AF-1", "Arbetsförmedlingen")
    _participant(engine, "P-AF-2", "Arbetsförmedlingen")
    login(page, "af")
    page.locator("#inbox tbody tr", has_text="P-AF-1").get_by_role("link", name="Identifiera deltagare").click()
    expect(page.get_by_role("heading", name="Identifiera deltagare")).to_be_visible()

    page.get_by_label("Födelseår").fill("nittonhundra")
    page.get_by_role("button", name="Slutför").click()
    expect(page.get_by_role("alert")).to_contain_text("Formuläret har fel")
    expect(page.locator('.field-error[data-field="birth_year"]')).to_have_text("Ska vara ett heltal")
    expect(page.locator('.field-error[data-field="target_group"]')).to_have_text("Obligatoriskt fält")
    expect(page.get_by_label("Födelseår")).to_have_value("nittonhundra")  # what was typed is kept
    snap(page, "task_form_with_field_errors")
    assert engine.queries.inbox("Arbetsförmedlingen").total == 2  # nothing was saved

    page.get_by_label("Målgrupp").select_option(label="Unga")
    page.get_by_label("Kön").select_option(label="Kvinna")
    page.get_by_label("Födelseår").fill("2001")
    page.get_by_role("button", name="Slutför").click()

    expect(page.get_by_role("status")).to_contain_text("Klart: Identifiera deltagare")
    expect(page.get_by_role("heading", name="Identifiera deltagare")).to_be_visible()  # on to the next task
    expect(page.locator(".crumbs")).to_contain_text("P-AF-2")
    assert engine.queries.instance_data(instance_id)["birth_year"] == 2001

    page.goto(f"/cases/{instance_id}")  # the case: the path taken drawn, the history kept
    expect(page.locator("#diagram")).to_have_attribute("data-state", "ready")
    expect(page.locator('[data-element-id="identify"].kedja-done')).to_have_count(1)
    expect(page.locator('[data-element-id="requirement_wait"].kedja-active')).to_have_count(1)
    expect(page.locator("#history")).to_contain_text("Identifiera deltagare")
    expect(page.locator("#history")).to_contain_text("af")


def test_a_process_owner_edits_a_diagram_and_deploys_a_new_version(engine, page):
    running = _participant(engine, "P-AF-1", "Arbetsförmedlingen")
    login(page, "owner")
    expect(page).to_have_url(re.compile("/modeller"))
    page.get_by_role("link", name="Målgruppsprocessen").click()
    expect(page.locator("#canvas")).to_have_attribute("data-state", "ready")

    page.locator('#canvas [data-element-id="assess"]').click()
    expect(page.locator("#properties")).to_contain_text("assess")
    page.evaluate(SET_FORM_KEY, ["assess", "finns_inte"])  # a form nobody made (the picker offers none such)
    page.get_by_role("button", name="Kontrollera").click()
    expect(page.locator("#problems")).to_contain_text("assess: Formuläret 'finns_inte' är inte driftsatt")
    expect(page.locator('[data-element-id="assess"].kedja-problem')).to_have_count(1)
    snap(page, "modeller_check_problem_on_element")
    page.get_by_role("button", name="Driftsätt ny version").click()
    expect(page.locator("#status")).to_contain_text("Kan inte driftsättas")
    assert [d.version for d in engine.queries.definitions() if d.key == "target_group"] == [1]

    expect(page.locator("#properties")).to_contain_text("assess")  # still selected
    page.get_by_label("Formulär (kedja:formKey)").select_option("assessment")  # the picker: the deployed forms
    page.get_by_label("Namn").fill("Utredning och bedömning av behov")
    page.get_by_label("Namn").press("Tab")
    page.get_by_role("button", name="Driftsätt ny version").click()
    expect(page.locator("#status")).to_contain_text("Version 2 av target_group är driftsatt")

    versions = [d for d in engine.queries.definitions() if d.key == "target_group"]
    assert [d.version for d in versions] == [1, 2]
    new_xml = versions[-1].bpmn_xml
    assert 'name="Utredning och bedömning av behov"' in new_xml
    assert "messageVariable" in new_xml and 'kedja:organisation="case_owner"' in new_xml  # nothing lost
    assert engine.queries.instance(running)["instance"].definition_id == versions[0].id  # stays on v1
    started = engine.execute(StartInstance("target_group", {
        "participant_id": "P-NEW", "procurement_id": "UPH-1", "case_owner": "Arbetsförmedlingen",
        "district": "Angered", "coordination_association": "X"}))
    assert engine.queries.instance(started.id)["instance"].definition_id == versions[1].id

    page.get_by_role("link", name="Visa versionen").click()
    expect(page.locator("#version-list")).to_contain_text("Version 2")
    expect(page.locator("#version-list li").first).to_contain_text("1 pågående")


def test_an_administrator_finds_an_instance_in_error_and_retries_it(engine, page):
    from engine.commands import Deploy

    engine.execute(Deploy((("scripted.bpmn", scripted_bpmn(script="total = amount / divisor")),)))
    failing = engine.execute(StartInstance("scripted", {"case_id": "C-1", "amount": 10}, business_key="C-1"))
    task = engine.queries.instance(failing.id)["open_tasks"][0]
    with pytest.raises(StepFailed):
        engine.execute(CompleteTask(task.id, {"divisor": 0}, Actor("a", "Arbetsförmedlingen")))
    _participant(engine, "P-AF-1", "Arbetsförmedlingen")

    login(page, "admin")
    page.get_by_role("link", name="Administration").click()
    page.get_by_role("link", name=re.compile(r"Fel \(1\)")).click()
    row = page.locator("#instances tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("C-1")
    expect(row).to_contain_text("division by zero")
    snap(page, "admin_instance_in_error")

    row.get_by_role("button", name="Kör igen").click()
    expect(page.get_by_role("status")).to_contain_text("Instansen är körd igen")
    expect(page.locator("#instances tbody")).to_contain_text("Inga instanser")  # no longer in error
    view = engine.queries.instance(failing.id)
    assert view["instance"].status == "running" and [t.element_id for t in view["open_tasks"]] == [task.element_id]

    page.get_by_role("link", name="Granskningslogg").click()
    expect(page.locator("#audit")).to_contain_text("Körde igen")
    page.get_by_role("link", name="Instanser").click()
    expect(page.locator("#instances")).to_contain_text("P-AF-1")
    expect(page.locator("#instances")).to_contain_text("ej tagen")


def test_an_administrator_takes_a_case_back_to_an_earlier_task(engine, page):
    instance_id = _participant(engine, "P-AF-7", "Arbetsförmedlingen")
    identify = engine.queries.instance(instance_id)["open_tasks"][0]
    engine.execute(CompleteTask(identify.id, {"target_group": "young", "gender": "man", "birth_year": 2001},
                                Actor("af", "Arbetsförmedlingen")))
    login(page, "admin")
    page.goto(f"/cases/{instance_id}")
    expect(page.locator('[data-element-id="identify"].kedja-done')).to_have_count(1)
    page.get_by_label("Gå tillbaka till").select_option(label="Identifiera deltagare")
    snap(page, "admin_case_reset")
    page.get_by_role("button", name="Återställ").click()
    expect(page.get_by_role("status")).to_contain_text("Instansen är återställd till Identifiera deltagare")
    expect(page.locator('[data-element-id="identify"].kedja-active')).to_have_count(1)
    assert [t.element_id for t in engine.queries.instance(instance_id)["open_tasks"]] == ["identify"]


def test_the_follow_up_dashboard_draws_its_charts_and_exports_csv(engine, page):
    login(page, "angered")
    page.get_by_role("link", name="Uppföljning").click()
    expect(page.locator("body")).to_have_attribute("data-charts", "7")
    expect(page.locator("#figure-gender")).to_contain_text("Inga uppgifter ännu")  # nobody has an outcome yet
    expect(page.locator("#key-figures")).to_contain_text("mål 50 %")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exportera CSV").click()
    assert download.value.suggested_filename == "nyckeltal.csv"
    text = download.value.path().read_bytes().decode("utf-8")
    assert text.startswith("\ufeffNyckeltal;Uppdelning;Värde\r\n")  # a BOM and `;`: Excel in Swedish opens it
    assert "Mål för andelen;;0,5" in text


@pytest.mark.parametrize("process", ["procurement", "supplier", "target_group"])
def test_each_process_of_the_model_passes_the_check_after_the_modellers_round_trip(engine, page, process):
    """bpmn-js must not drop what the engine reads (Kedja's attributes, SpiffWorkflow's extensions,
    multi-instance collections): the diagram it exports passes the same check as the file."""
    login(page, "owner")
    page.goto(f"/modeller?process={process}")
    expect(page.locator("#canvas")).to_have_attribute("data-state", "ready")
    page.get_by_role("button", name="Kontrollera").click()
    expect(page.locator("#status")).to_have_text("Inga problem hittades.")
    exported = page.evaluate("async () => (await window.kedjaModeler.saveXML()).xml")
    for kept in ("kedja:organisation=", "kedja:formKey=", "spiffworkflow:messageVariable", "kedja:facts="):
        assert kept in exported, kept


def test_the_properties_panel_edits_timers_messages_and_lanes(engine, page):
    login(page, "owner")
    page.goto("/modeller?process=target_group")
    expect(page.locator("#canvas")).to_have_attribute("data-state", "ready")

    page.locator('#canvas [data-element-id="requirement_timeout"]').click()  # a timer
    expect(page.get_by_label("Typ")).to_have_value("timeDuration")
    expect(page.get_by_label("Uttryck")).to_have_value('"P6M"')
    page.get_by_label("Uttryck").fill('"P3M"')
    page.get_by_label("Uttryck").press("Tab")

    page.locator('#canvas [data-element-id="requirement_received"]').click()  # a message catch
    expect(page.get_by_label("Meddelande", exact=True)).to_have_value("msg_requirement_decided")
    expect(page.locator('[data-correlation="procurement_id"]')).to_have_value("procurement_id")

    page.locator('#canvas [data-element-id="lane_fk"]').click(position={"x": 200, "y": 20})  # a lane
    expect(page.get_by_label("Organisation (uttryck, kedja:organisation)")).to_have_value("'Försäkringskassan'")
    page.get_by_label("Organisation (uttryck, kedja:organisation)").fill("'Försäkringskassan Väst'")
    page.get_by_label("Organisation (uttryck, kedja:organisation)").press("Tab")

    page.get_by_role("button", name="Driftsätt ny version").click()
    expect(page.locator("#status")).to_contain_text("Version 2 av target_group är driftsatt")
    xml = [d for d in engine.queries.definitions() if d.key == "target_group"][-1].bpmn_xml
    assert '"P3M"' in xml and '"P6M"</bpmn:timeDuration>' not in xml.split('id="requirement_timeout"')[1][:400]
    [lane] = re.findall(r'<bpmn:lane id="lane_fk"[^>]*>', xml)
    assert "kedja:organisation=\"'Försäkringskassan Väst'\"" in html.unescape(lane)  # bpmn-js writes &#39;


def test_a_new_process_starts_from_an_empty_diagram(engine, page):
    login(page, "owner")
    page.get_by_role("link", name="+ Ny process").click()
    expect(page.locator("#canvas")).to_have_attribute("data-state", "ready")
    expect(page.locator('#canvas [data-element-id="start"]')).to_have_count(1)
    page.get_by_role("button", name="Kontrollera").click()
    expect(page.locator("#status")).to_have_text(re.compile("Inga problem hittades|problem"))
