"""A process owner's journey in Chromium: a new form made in the form editor, a user task added
to a deployed diagram with that form picked in the modeller, the new version deployed, compared
with the old one and the old version's cases moved to it; then the caseworker of the lane's
organisation completes the new task (the Swedish field error first), while the task that was
open before the change keeps the form it opened with."""
from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from engine.commands import Deploy, StartInstance

from ..helpers import FIXTURES, fixture_bytes
from .conftest import login, snap

pytestmark = pytest.mark.timeout(150)

ADD_TASK = """() => {
  const modeler = window.kedjaModeler;
  const registry = modeler.get("elementRegistry");
  const modeling = modeler.get("modeling");
  const task = modeler.get("elementFactory").createShape({ type: "bpmn:UserTask" });
  modeling.createShape(task, { x: 380, y: 205 }, registry.get("p_intyg"));
  modeling.reconnectEnd(registry.get("f1"), task, { x: 330, y: 205 });
  modeling.connect(task, registry.get("handle"));
  return task.id;
}"""


def test_an_owner_makes_a_form_puts_it_in_a_process_and_a_caseworker_fills_it_in(engine, page):
    # A deployed diagram to change: start, one user task of Arbetsförmedlingen's lane, end, with
    # room between the start and the task for the one the owner adds.
    engine.execute(Deploy((("intyg.bpmn", fixture_bytes("intyg.bpmn")),), source="file"))
    before = engine.execute(StartInstance("intyg", {}, business_key="INTYG-1")).id
    opened_before = engine.queries.instance(before)["open_tasks"][0]

    # The form editor: a new form with two fields, one of them required.
    login(page, "owner")
    page.get_by_role("link", name="Formulär", exact=True).click()
    page.get_by_role("link", name="Nytt formulär").click()
    forms = [engine.forms.schema(key) or engine.forms.initial_schema(key) for key in sorted(engine.forms.keys())]
    forms.append({"title": "Villkor", "type": "object", "properties": {
        "a": {"type": "string", "title": "A"}, "b": {"type": "boolean", "title": "B"},
        "c": {"type": "string", "title": "C"}}, "dependentRequired": {"a": ["c"]},
        "allOf": [{"if": {"properties": {"b": {"const": True}}, "required": ["b"]}, "then": {"required": ["a", "c"]}},
                  {"not": {"required": ["x"]}}]})
    written = page.evaluate("(forms) => forms.map((form) => window.kedjaFormEditor.roundTrip(form))", forms)
    assert [json.dumps(form) for form in written] == [json.dumps(form) for form in forms]  # unedited: unchanged
    page.get_by_label("Nyckel").fill("komplettering")
    page.get_by_label("Rubrik").fill("Komplettering av ansökan")
    page.get_by_role("button", name="Lägg till fält").click()
    first = page.locator(".field-card").nth(0)
    first.get_by_label("Etikett").fill("Vad saknas i ansökan")
    first.get_by_label("Obligatoriskt").select_option(label="Ja")
    page.get_by_role("button", name="Lägg till fält").click()
    second = page.locator(".field-card").nth(1)
    second.get_by_label("Etikett").fill("Antal dagar att komplettera")
    second.get_by_label("Typ").select_option(label="Heltal")
    second = page.locator(".field-card").nth(1)
    second.get_by_label("Högsta värde").fill("0,5")
    preview = page.locator("#preview")
    expect(preview.get_by_label(re.compile("Antal dagar att komplettera"))).to_be_visible()
    expect(preview.locator('label[for="f-vad_saknas_i_ansokan"] .req')).to_have_count(1)  # required, as on a task
    page.get_by_role("button", name="Spara och driftsätt ny version").click()
    expect(second.locator(".field-error")).to_have_text("Ange ett heltal")  # said next to the field
    snap(page, "journey_form_editor_error")
    second.get_by_label("Högsta värde").fill("30")
    page.get_by_role("button", name="Spara och driftsätt ny version").click()
    expect(page.locator("#save-status")).to_have_text("Version 1 av komplettering är driftsatt.")
    expect(page).to_have_url(re.compile("/formular/komplettering$"))
    snap(page, "journey_form_editor_saved")

    # The modeller: the diagram opens readable, a user task is added, its form picked in the picker.
    page.get_by_role("link", name="Modellering").click()
    page.get_by_role("link", name="Intygsprocessen").click()
    expect(page.locator("#canvas")).to_have_attribute("data-state", "ready")
    page.locator("#upload").set_input_files(FIXTURES / "intyg.bpmn")  # "Öppna BPMN-fil": a file from disk
    expect(page.locator("#status")).to_contain_text("Filen intyg.bpmn är inläst")
    assert page.evaluate("() => window.kedjaModeler.get('canvas').zoom()") >= 0.7
    palette = page.locator(".djs-palette").bounding_box()
    start = page.locator('#canvas [data-element-id="start"]').bounding_box()
    assert start["x"] > palette["x"] + palette["width"]  # the palette does not cover the diagram
    task_id = page.evaluate(ADD_TASK)
    snap(page, "journey_modeller_opened")
    page.locator(f'#canvas [data-element-id="{task_id}"]').click()
    page.get_by_label("Namn").fill("Komplettera ansökan")
    page.get_by_label("Namn").press("Tab")
    picker = page.get_by_label("Formulär (kedja:formKey)")
    expect(picker.locator("option", has_text="Komplettering av ansökan (komplettering)")).to_have_count(1)
    picker.select_option("komplettering")
    expect(page.get_by_role("link", name="Redigera formuläret")).to_have_attribute("href", "/formular/komplettering")
    expect(page.get_by_label("Fas i nyckeltalen (kedja:followUpPhase)")).to_have_attribute(
        "placeholder", "t.ex. matchning (tomt: räknas inte)")  # a hint in Swedish, no value of its own
    snap(page, "journey_modeller_task_properties")
    page.get_by_role("button", name="Driftsätt ny version").click()
    expect(page.locator("#status")).to_contain_text("Version 2 av intyg är driftsatt")
    expect(page.locator("#version-list li").first).to_contain_text("Version 2")  # no reload
    expect(page.locator("#version-list li").nth(1)).to_contain_text("1 pågående")

    # What changed from version 1, coloured in both diagrams side by side.
    page.get_by_label("Jämför version").select_option(label="Version 1")
    page.get_by_role("button", name="Visa skillnader").click()
    expect(page.locator("#difference-list")).to_contain_text("Tillagt: Användaruppgift ”Komplettera ansökan”")
    expect(page.locator("#difference-list")).to_contain_text(
        "Flöde (f1) – till: ”Utred ansökan” → ”Komplettera ansökan”")
    expect(page.locator(f'#canvas [data-element-id="{task_id}"].kedja-added')).to_have_count(1)
    expect(page.locator('#compare-canvas [data-element-id="f1"].kedja-changed')).to_have_count(1)
    snap(page, "journey_modeller_differences")

    # The case of version 1: checked first, then moved.
    page.get_by_role("button", name="Förhandsgranska flytten").click()
    expect(page.locator("#migrate-result")).to_contain_text("1 av 1 ärenden kan flyttas från version 1 till 2")
    expect(page.locator("#migrate-cases")).to_contain_text("INTYG-1")
    snap(page, "journey_modeller_migration_dry_run")
    page.get_by_role("button", name="Flytta alla ärenden från version 1 till 2").click()
    expect(page.locator("#migrate-result")).to_contain_text("1 av 1 ärenden flyttades till version 2")
    expect(page.locator("#version-list li").first).to_contain_text("1 pågående")

    versions = [d for d in engine.queries.definitions() if d.key == "intyg"]
    assert [(d.version, d.source, d.deployed_by) for d in versions] == [(1, "file", None), (2, "modeller", "owner")]
    assert engine.queries.instance(before)["instance"].definition_id == versions[1].id
    after = engine.execute(StartInstance("intyg", {}, business_key="INTYG-2")).id
    new_task = engine.queries.instance(after)["open_tasks"][0]
    assert (new_task.name, new_task.organisation) == ("Komplettera ansökan", "Arbetsförmedlingen")

    # The caseworker of the lane's organisation: the Swedish field error, then done.
    page.context.clear_cookies()
    login(page, "af")
    page.locator("#inbox tbody tr", has_text="INTYG-2").get_by_role("link", name="Komplettera ansökan").click()
    expect(page.get_by_role("heading", name="Komplettering av ansökan")).to_be_visible()
    page.get_by_role("button", name="Slutför").click()
    expect(page.locator('.field-error[data-field="vad_saknas_i_ansokan"]')).to_have_text("Obligatoriskt fält")
    snap(page, "journey_task_with_field_error")
    page.get_by_label("Vad saknas i ansökan").fill("Läkarintyg")
    page.get_by_label("Antal dagar att komplettera").fill("14")
    page.get_by_role("button", name="Slutför").click()
    expect(page.get_by_role("status")).to_contain_text("Klart: Komplettera ansökan")
    assert engine.queries.instance_data(after)["vad_saknas_i_ansokan"] == "Läkarintyg"

    # The task opened before the change keeps the form it opened with, though its case moved.
    page.goto(f"/tasks/{opened_before.id}")
    expect(page.get_by_role("heading", name="Utredning och bedömning")).to_be_visible()
    expect(page.get_by_label("Deltagaren fortsätter")).to_be_visible()
    expect(page.get_by_label("Vad saknas i ansökan")).to_have_count(0)
