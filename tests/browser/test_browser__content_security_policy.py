"""The pages under their Content-Security-Policy in Chromium: every page a caseworker, a process
owner and an administrator use (and the login and the API docs) draws what it draws (diagram,
charts, Swagger UI) with no console error and no CSP violation."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from engine.commands import Actor, CompleteTask, StartInstance

from .conftest import login, snap

pytestmark = pytest.mark.timeout(180)
REPORT_VIOLATIONS = """document.addEventListener("securitypolicyviolation", (e) => window.kedjaCspViolation(
  [e.violatedDirective, e.blockedURI, e.sourceFile + ":" + e.lineNumber, e.sample].join(" | ")));"""


@pytest.fixture
def watched(page):
    """The page, with every console error and CSP violation collected (per page visited)."""
    problems: list[str] = []
    page.on("console", lambda message: problems.append(
        f"console {message.type}: {message.text} ({message.location.get('url')})")
        if message.type == "error" or "Content Security Policy" in message.text else None)
    # A binding and an init script come from the browser's side (DevTools), outside the page's policy.
    page.expose_binding("kedjaCspViolation", lambda _source, text: problems.append(f"CSP violation: {text}"))
    page.add_init_script(REPORT_VIOLATIONS)
    return page, problems


def _visit(page, problems, path: str, ready=None, name: str | None = None) -> None:
    response = page.goto(path)
    assert response.status < 400, (path, response.status)
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    if ready:
        ready()
    page.wait_for_load_state("networkidle")
    if name:
        snap(page, f"csp_{name}")
    assert problems == [], (path, problems)


def test_no_page_breaks_its_content_security_policy(engine, watched):
    page, problems = watched
    participant, other = (engine.execute(StartInstance("target_group", {
        "participant_id": key, "procurement_id": "UPH-1", "case_owner": "Arbetsförmedlingen",
        "district": "Angered", "coordination_association": "Samordningsförbundet Göteborg Nordost"},
        business_key=key)).id for key in ("P-CSP-1", "P-CSP-2"))
    identify = engine.queries.instance(participant)["open_tasks"][0]
    engine.execute(CompleteTask(identify.id, {"target_group": "young", "gender": "woman", "birth_year": 2001},
                                Actor("af", "Arbetsförmedlingen")))
    engine.execute(StartInstance("procurement", {"procurement_id": "UPH-1", "buyer_organisation": "Higab"}))
    task = engine.queries.instance(other)["open_tasks"][0]

    _visit(page, problems, "/login", lambda: expect(page.get_by_label("Lösenord")).to_be_visible(), "login")
    login(page, "af")
    expect(page.get_by_role("heading", name=re.compile("Inkorg"))).to_be_visible()
    _visit(page, problems, "/", lambda: expect(page.locator("#inbox tbody tr")).not_to_have_count(0), "inbox")
    _visit(page, problems, f"/tasks/{task.id}",
           lambda: expect(page.get_by_role("button", name="Slutför")).to_be_visible(), "task")
    _visit(page, problems, f"/cases/{participant}",
           lambda: expect(page.locator("#diagram")).to_have_attribute("data-state", "ready"), "case")
    expect(page.locator('[data-element-id="identify"].kedja-done')).to_have_count(1)
    _visit(page, problems, "/uppfoljning",
           lambda: expect(page.locator("body")).to_have_attribute("data-charts", "7"), "followup")
    _visit(page, problems, "/chains/UPH-1", lambda: expect(page.locator("h1")).to_contain_text("UPH-1"))
    page.goto("/no/such/page")  # an error page is a page too (its 404 is not the page's fault)
    expect(page.locator("h1")).to_contain_text("finns inte")
    problems[:] = [p for p in problems if "404 (NOT FOUND)" not in p]
    assert problems == []

    page.context.clear_cookies()
    login(page, "owner")
    _visit(page, problems, "/modeller?process=target_group",
           lambda: expect(page.locator("#canvas")).to_have_attribute("data-state", "ready"), None)
    page.locator('#canvas [data-element-id="assess"]').click()  # the properties panel
    page.evaluate("""() => { const modeler = window.kedjaModeler; modeler.get("modeling").updateProperties(
      modeler.get("elementRegistry").get("assess"), { "kedja:formKey": "finns_inte" }); }""")  # a form nobody made
    page.get_by_role("button", name="Kontrollera").click()  # a problem drawn on the element (an overlay)
    expect(page.locator('[data-element-id="assess"].kedja-problem')).to_have_count(1)
    expect(page.locator(".problem-badge")).to_have_count(1)
    page.locator('#canvas [data-element-id="identify"]').dblclick()  # editing a label in place
    expect(page.locator(".djs-direct-editing-parent")).to_be_visible()
    page.keyboard.press("Escape")
    page.locator('#canvas [data-element-id="identify"]').click()  # the context pad and its replace menu
    page.locator('.djs-context-pad [data-action="replace"]').click()
    expect(page.locator(".djs-popup")).to_be_visible()
    snap(page, "csp_modeller")
    page.keyboard.press("Escape")
    with page.expect_download() as download:  # a blob: URL made by the page
        page.get_by_role("button", name="Ladda ner BPMN").click()
    assert download.value.suggested_filename == "target_group.bpmn"
    assert problems == []
    _visit(page, problems, "/modeller?new=1",
           lambda: expect(page.locator("#canvas")).to_have_attribute("data-state", "ready"))

    page.context.clear_cookies()
    login(page, "admin")
    for path, table in (("/admin", "#instances"), ("/admin/stalled", "#stalled"), ("/admin/incidents", "#incidents"),
                        ("/admin/messages", "#messages"), ("/admin/audit", "#audit")):
        _visit(page, problems, path, lambda table=table: expect(page.locator(table)).to_be_visible(),
               path.strip("/").replace("/", "_"))
    _visit(page, problems, f"/cases/{participant}",
           lambda: expect(page.locator("#diagram")).to_have_attribute("data-state", "ready"), "case_admin")

    _visit(page, problems, "/api/docs",
           lambda: expect(page.locator(".swagger-ui .opblock").first).to_be_visible(), "api_docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Kedja")
    page.locator(".opblock-summary", has_text="/api/v1/tasks/{task_id}/complete").first.click()
    expect(page.locator(".opblock-body").first).to_contain_text("422")
    snap(page, "csp_api_docs_operation")
    health = page.locator(".opblock", has_text="/api/v1/health")  # tried from the page: a fetch to this site
    health.locator(".opblock-summary").click()
    health.get_by_role("button", name="Try it out").click()
    health.get_by_role("button", name="Execute").click()
    expect(health.locator(".live-responses-table")).to_contain_text('"status": "ok"')
    assert problems == []


def test_terminating_from_the_admin_list_asks_first(engine, watched):
    page, problems = watched
    instance_id = engine.execute(StartInstance("procurement", {"procurement_id": "UPH-9",
                                                               "buyer_organisation": "Higab"})).id
    login(page, "admin")
    page.goto("/admin")
    row = page.locator(f'#instances tr[data-instance-id="{instance_id}"]')
    asked = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    row.get_by_role("button", name="Avbryt").click()
    expect(row).to_be_visible()
    assert asked == ["Avbryta instansen? Det går inte att ångra."]
    assert engine.queries.instance(instance_id)["instance"].status != "terminated"

    page.once("dialog", lambda dialog: answer(dialog, True))
    row.get_by_role("button", name="Avbryt").click()
    expect(page.get_by_role("status")).to_be_visible()
    assert len(asked) == 2 and engine.queries.instance(instance_id)["instance"].status == "terminated"
    assert problems == []
