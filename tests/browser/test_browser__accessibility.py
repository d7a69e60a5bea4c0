"""Accessibility (WCAG 2.1 AA) in Chromium: axe-core checks every page each role reaches (a
caseworker, a supplier, a process owner, an administrator) after the whole chain has run, and a
task form is filled in and sent with the keyboard alone.

axe-core comes from npm (package.json, a development dependency, exact version) and is read from
node_modules by the test into the browser (an init script from the browser's side, outside the
pages' Content-Security-Policy): the application never serves it."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import expect

from ..web.test_web__swedish_pages import USERS, finished  # noqa: F401 (a fixture)
from .conftest import PASSWORD, SCREENSHOTS

pytestmark = pytest.mark.timeout(900)
ROOT = Path(__file__).resolve().parents[2]
AXE = Path(os.environ.get("KEDJA_NODE_MODULES", ROOT / "node_modules")) / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
SKIPPED = ("/static/", "/vendor/", "/api/", "/logout", "/login", "/oidc")
ROLES = {"caseworker": "af", "supplier": "bygg", "process_owner": "owner", "admin": "admin"}
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
  return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: " + (n.failureSummary || "").split("\\n")[1]) }));
}"""


@pytest.fixture
def engine(finished):  # noqa: F811 (the pages run on the finished chain)
    return finished[0]


@pytest.fixture
def checked(page):
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run npm ci")
    page.add_init_script(path=str(AXE))
    return page


def _login(page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state("networkidle")


def _settle(page) -> None:
    """What scripts draw is drawn (the diagram, the charts, the modeller) before axe looks."""
    page.wait_for_load_state("networkidle")
    for selector in ("#diagram", "#canvas"):
        if page.locator(selector).count():
            expect(page.locator(selector)).to_have_attribute("data-state", re.compile("ready|failed"))
    if page.locator("#figures").count():
        expect(page.locator("body")).to_have_attribute("data-charts", "7")


def _links(page, path: str) -> list[str]:
    found = []
    for href in page.eval_on_selector_all("a[href]", "links => links.map((a) => a.getAttribute('href'))"):
        target = urljoin(path, href)
        parts = urlsplit(target)
        if parts.netloc or not target.startswith("/") or target.startswith(SKIPPED):
            continue
        if parts.path.endswith((".bpmn", ".csv", ".json", ".js", ".css", ".svg")):
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def _shot(page, role: str, path: str, taken: set[str]) -> None:
    """A screenshot of each kind of page a role sees (the first of its kind)."""
    kind = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "id", urlsplit(path).path).strip("/").replace("/", "_") or "inkorg"
    kind = re.sub(r"[^A-Za-z0-9_]+", "_", kind)
    if kind in taken or len(taken) >= 14:
        return
    taken.add(kind)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"role_{role}_{kind}.png"), full_page=True)


def _audit(page, role: str, starts: list[str], limit: int = 200) -> tuple[dict, set[str]]:
    """Every page reached from `starts` by its links: axe's WCAG 2.1 A/AA violations on each."""
    seen: set[str] = set()
    violations: dict[str, list] = {}
    queue = list(starts)
    taken: set[str] = set()
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(path)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        _settle(page)
        found = page.evaluate(RUN_AXE, WCAG_AA)
        if found:
            violations[page.url.split(page.url.split("/")[2], 1)[1]] = found
        _shot(page, role, urlsplit(page.url).path, taken)
        queue += [link for link in _links(page, urlsplit(page.url).path) if link not in seen]
    return violations, seen


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_of_a_role_passes_axe(engine, checked, role):
    page = checked
    username = ROLES[role]
    organisation = USERS[username][0]
    # Besides the links: a finished case and a task done by the role's organisation (their pages
    # are reached by address: the inbox lists only open tasks).
    starts = ["/", "/uppfoljning"]
    done = [task for instance in engine.queries.instances(per_page=100).items
            for task in engine.queries.instance(instance.id)["history"] if task.organisation == organisation]
    if done and role != "process_owner":
        starts += [f"/tasks/{done[0].id}", f"/cases/{done[0].instance_id}"]
    if role == "admin":
        starts += [f"/cases/{engine.queries.instances(per_page=1).items[0].id}"]
    _login(page, username)
    violations, seen = _audit(page, role, starts)
    assert len(seen) > 3, seen
    assert violations == {}, json.dumps(violations, ensure_ascii=False, indent=1)


def test_the_login_and_error_pages_pass_axe(engine, checked):
    page = checked
    page.goto("/login")  # axe does see a violation (an image without a text alternative)
    page.evaluate("() => document.querySelector('main').append(document.createElement('img'))")
    assert "image-alt" in [v["id"] for v in page.evaluate(RUN_AXE, WCAG_AA)]
    for path in ("/login", "/finns-inte"):
        page.goto(path)
        found = page.evaluate(RUN_AXE, WCAG_AA)
        assert found == [], (path, json.dumps(found, ensure_ascii=False, indent=1))
    _login(page, "af")
    for path in ("/admin", "/cases/finns-inte"):
        page.goto(path)
        found = page.evaluate(RUN_AXE, WCAG_AA)
        assert found == [], (path, json.dumps(found, ensure_ascii=False, indent=1))


def test_a_task_form_is_filled_in_and_sent_with_the_keyboard_alone(engine, checked):
    """Signing in, opening the task, choosing, typing and sending: Tab, arrows, typing, Enter."""
    page = checked
    keyboard = page.keyboard
    page.goto("/login")
    page.locator("body").focus()

    def tab_to(check, most: int = 60) -> None:
        for _ in range(most):
            keyboard.press("Tab")
            if page.evaluate(check):
                return
        raise AssertionError(f"Tab never reached: {check}")

    tab_to("() => document.activeElement.id === 'username'")
    keyboard.type("af")
    keyboard.press("Tab")
    keyboard.type(PASSWORD)
    keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Inkorg"))).to_be_visible()

    tab_to("() => document.activeElement.textContent.trim() === 'Identifiera deltagare' && "
           "document.activeElement.closest('tr').textContent.includes('P-012')")
    keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Identifiera deltagare")).to_be_visible()
    tab_to("() => document.activeElement.id === 'f-target_group'")
    keyboard.press("ArrowDown")  # the first choice after '– välj –'
    keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "f-gender"
    keyboard.press("ArrowDown")
    keyboard.press("ArrowDown")
    keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "f-birth_year"
    keyboard.type("1990")
    # Focus is visible where it is (an outline), for those who see the keyboard's place.
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"
    tab_to("() => document.activeElement.textContent.trim() === 'Slutför'")
    keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Klart: Identifiera deltagare")
    instance = next(i for i in engine.queries.instances(per_page=100).items if i.business_key == "P-012")
    data = engine.queries.instance_data(instance.id)
    assert (data["target_group"], data["gender"], data["birth_year"]) == ("young", "man", 1990)


def _case_of(engine, business_key: str) -> str:
    return next(i.id for i in engine.queries.instances(per_page=100).items if i.business_key == business_key)


def _readable_at_the_case(page, element_id: str) -> None:
    """The diagram opens at a readable zoom with the case's place in view."""
    expect(page.locator("#diagram")).to_have_attribute("data-state", "ready")
    box = page.locator("#diagram").bounding_box()
    shape = page.locator(f'#diagram [data-element-id="{element_id}"]').first.bounding_box()
    assert shape and box["x"] <= shape["x"] and shape["x"] + shape["width"] <= box["x"] + box["width"], (box, shape)
    assert box["y"] <= shape["y"] and shape["y"] + shape["height"] <= box["y"] + box["height"], (box, shape)
    label = page.locator(f'#diagram [data-element-id="{element_id}"] text').first.bounding_box()
    assert label["height"] >= 10, label  # about the size it was drawn at, not a few pixels


def test_the_main_pages_of_each_role_for_the_eye(engine, page):
    """Screenshots of what each role mostly sees (test-output/screenshots/main_*.png), with the
    charts drawn and the diagrams readable at the case's place."""
    def shot(name: str) -> None:
        page.wait_for_load_state("networkidle")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"main_{name}.png"), full_page=True)

    _login(page, "af")
    shot("caseworker_inbox")
    page.locator("#inbox tbody tr", has_text="P-012").get_by_role("link", name="Identifiera deltagare").click()
    expect(page.locator("#f-target_group")).to_be_visible()
    shot("caseworker_task")
    page.goto(f"/cases/{_case_of(engine, 'P-012')}")
    _readable_at_the_case(page, "identify")
    shot("caseworker_case")
    page.get_by_role("button", name="Zooma ut").click()
    page.get_by_role("button", name="Hela processen").click()
    page.get_by_role("button", name="Visa var ärendet är").click()
    _readable_at_the_case(page, "identify")
    page.goto(f"/cases/{_case_of(engine, 'P-002')}")  # finished: its end in view
    expect(page.locator("#diagram")).to_have_attribute("data-state", "ready")
    shot("caseworker_case_finished")
    page.goto("/chains/UPH-2026-002")
    expect(page.locator("table").nth(2)).to_contain_text("1 Identifiering")
    shot("caseworker_chain")
    page.goto("/uppfoljning")
    expect(page.locator("body")).to_have_attribute("data-charts-drawn", "7")  # every chart has figures
    shot("caseworker_follow_up")

    page.context.clear_cookies()
    _login(page, "bygg")
    shot("supplier_inbox")
    page.locator("#inbox tbody tr", has_text="UPH-2026-002").get_by_role("link").first.click()
    shot("supplier_task")
    page.goto(f"/cases/{_case_of(engine, 'UPH-2026-001/S1')}")
    expect(page.locator("#case-facts")).to_contain_text("Leverantörens namn")
    shot("supplier_case")

    page.context.clear_cookies()
    _login(page, "owner")
    expect(page.locator("#canvas")).to_have_attribute("data-state", "ready")
    shot("owner_modeller")

    page.context.clear_cookies()
    _login(page, "admin")
    for path, name in (("/admin", "admin_instances"), ("/admin/stalled", "admin_stalled"),
                       ("/admin/messages", "admin_messages"), ("/admin/audit", "admin_audit")):
        page.goto(path)
        shot(name)
    page.goto(f"/cases/{_case_of(engine, 'UPH-2026-001')}")
    expect(page.locator("#case-facts")).to_contain_text("Beställande organisation")
    shot("admin_procurement_case")
