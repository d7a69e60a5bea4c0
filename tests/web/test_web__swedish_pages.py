"""Swedish throughout: after the whole chain has run (tests/scenarios/test_scenario__full_chain.py)
and a few cases are left open, every page each role can reach is crawled with the test client,
and no English identifier (a form's property name or choice value, a process or element id, a
message name) or English engine message reaches a page's text. Tags, attribute values and URLs
are not text; the scripts' JSON is not either."""
from __future__ import annotations

import ast
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from lxml import etree

import tests.scenarios.test_scenario__full_chain as story
from api import create_app
from engine.accounts import add_organisation, add_user
from engine.commands import Actor, ClaimTask, DetectStalls, ResetInstance, SuspendInstance
from goteborg.reports import follow_up

from ..scenarios.chain import Chain
from .conftest import PASSWORD, Browser

pytestmark = pytest.mark.timeout(600)
ROOT = Path(__file__).resolve().parents[2]
HIGAB, SUPPORT, AF, FK = story.HIGAB, story.SUPPORT, story.AF, story.FK
USERS = {  # one user of every body that works in the chain, and the roles without a lane
    "higab": (HIGAB, ["caseworker"]), "stod": (SUPPORT, ["caseworker"]), "af": (AF, ["caseworker"]),
    "fk": (FK, ["caseworker"]), "angered": ("Angered", ["caseworker"]), "vux": (story.VUX, ["caseworker"]),
    "nordost": (story.NORDOST, ["caseworker"]), "bygg": ("Bygg AB", ["supplier"]), "stad": ("Städ AB", ["supplier"]),
    "owner": (SUPPORT, ["process_owner"]), "admin": (SUPPORT, ["admin"]),
}
# Identifiers that are Swedish words too (or names), so they may stand in Swedish text.
SWEDISH_WORDS = {"man", "plan", "form", "start", "status", "trainee", "matchning", "identifiering", "utredning"}
# The process owner's tools name a form by its key too: the name the modeller's kedja:formKey takes.
OWNER_TOOLS = ("/formular", "/modeller")
# Werkzeug's and Python's English that would show a page was not translated.
ENGLISH = ["Not Found", "Method Not Allowed", "Forbidden", "Internal Server Error", "Bad Request",
           "The requested URL", "permission", "True", "False", "None", "null"]
SKIPPED = ("/static/", "/vendor/", "/api/", "/logout", "/login", "/oidc")


@pytest.fixture
def finished(make_engine, clock):
    """The chain of the scenario run to its end, then: a new procurement with its first task open,
    a supplier about to bid, three participants (one paused by the administrator, one to be
    identified, one waiting for the requirement), an administrator's reset, and the stall check run."""
    engine = make_engine(forms_dir=None)  # the real model and its forms
    chain = Chain(engine, clock)
    chain.deploy_model()
    with engine.uow() as uow:
        for organisation in sorted({org for org, _roles in USERS.values()}):
            add_organisation(uow, organisation)
        uow.repo.flush()
        for username, (organisation, roles) in USERS.items():
            add_user(uow, username, organisation, roles, engine.now(), PASSWORD)
        uow.commit()
    story.test_full_chain(chain)

    second = "UPH-2026-002"
    chain.start("procurement", second, procurement_id=second, buyer_organisation=HIGAB)
    chain.start("supplier", f"{second}/S1", procurement_id=second, supplier_id="S1", supplier_name="Bygg AB")
    paused = chain.start("target_group", "P-010", participant_id="P-010", procurement_id=second, case_owner=AF,
                         district="Angered", coordination_association=story.NORDOST)
    chain.start("target_group", "P-012", participant_id="P-012", procurement_id=second, case_owner=AF,
                district="Angered", coordination_association=story.NORDOST)
    waiting = story.participant(chain, "P-011", "Angered", "Angered", "born_abroad", "other")
    admin = Actor("admin", SUPPORT)
    engine.execute(ResetInstance(waiting, "identify", admin))
    chain.complete(waiting, "identify", "Angered", {"target_group": "born_abroad", "gender": "other",
                                                    "birth_year": 1990})
    engine.execute(SuspendInstance(paused, admin))
    chain.at(2027, 9, 1)  # long after: overdue and unclaimed tasks, long waits
    engine.execute(DetectStalls())
    return engine, {"paused": paused, "waiting": waiting}


def _forms(engine) -> list[dict]:
    return [engine.forms.schema(form.key, form.version) for form in engine.forms.latest()]


def _identifiers(engine) -> set[str]:
    """The English codes a page must never show: the forms' property names and choice values, the
    processes' element ids, message and correlation names, and the figures' keys."""
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for name, prop in (node.get("properties") or {}).items():
                found.add(name)
                if isinstance(prop, dict):
                    found.update(str(v) for v in prop.get("enum") or [] if isinstance(v, str))
                    walk(prop)
            walk(node.get("items"))

    for schema in _forms(engine):
        walk(schema)
    for definition in engine.queries.latest_definitions():
        root = etree.fromstring(definition.bpmn_xml.encode("utf-8"))
        for element in root.iter():
            if isinstance(element.tag, str) and element.tag.startswith("{http://www.omg.org/spec/BPMN/"):
                found.update(filter(None, (element.get("id"), element.get("name") if element.tag.endswith(
                    ("}message", "}correlationProperty")) else None)))
    figures = [follow_up(engine, {}).as_dict()]  # the figures' keys, nested ones too
    while figures:
        node = figures.pop()
        if isinstance(node, dict):
            found.update(str(key) for key in node)
            figures.extend(node.values())
        elif isinstance(node, list):
            figures.extend(node)
    # codes are small letters, digits and _ (a choice like "Upphandlingsbolaget" is a name)
    return {word for word in found if re.fullmatch(r"[a-z][a-z0-9_]*", word) or "_" in word}


def _engine_phrases() -> set[str]:
    """The English of the engine's refusals: the literal parts of every `raise SomeError(...)` text
    in engine/ and api/ (two words or more, or one long word)."""
    phrases: set[str] = set()
    for path in [*(ROOT / "engine").glob("*.py"), *(ROOT / "api").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args):
                continue
            first = node.exc.args[0]
            parts = [first] if isinstance(first, ast.Constant) else getattr(first, "values", [])
            for part in parts:
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    for piece in re.split(r"[{}'();:,]", part.value):
                        piece = piece.strip()
                        english = re.fullmatch(r"[a-zA-Z][a-zA-Z ]+[a-zA-Z]", piece) and not re.search("[åäö]", piece)
                        if english and (" " in piece or len(piece) >= 9):
                            phrases.add(piece)
    return phrases


class _Text(HTMLParser):
    """A page's text (no tags, no attribute values, no script or style) and its links."""

    def __init__(self):
        super().__init__()
        self.parts, self.links, self._skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def _read(html: str) -> tuple[str, list[str]]:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split()), parser.links


class Crawl:
    def __init__(self, identifiers: set[str], phrases: set[str], form_keys: set[str] = frozenset()):
        self.identifiers, self.phrases, self.form_keys = identifiers - SWEDISH_WORDS, phrases, form_keys
        self.problems: dict[str, list[str]] = {}
        self.pages: dict[str, set[str]] = {}

    def check(self, who: str, path: str, html: str) -> list[str]:
        text, links = _read(html)
        words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
        if path.startswith(OWNER_TOOLS):
            words -= self.form_keys
        found = sorted(words & self.identifiers)
        found += [phrase for phrase in sorted(self.phrases) if phrase in text]
        found += [word for word in ENGLISH if re.search(rf"\b{re.escape(word)}\b", text)]
        if found:
            self.problems[f"{who} {path}"] = found
        return links

    def run(self, who: str, browser: Browser, starts: list[str], limit: int = 400) -> set[str]:
        """The pages `who` reaches (200) from `starts` and the links on them."""
        seen: set[str] = set()
        reached: set[str] = set()
        queue = list(starts)
        while queue and len(seen) < limit:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            response = browser.get(path)
            if response.status_code in (301, 302, 303):
                queue.append(response.location)
                continue
            if response.mimetype != "text/html":
                continue
            if response.status_code == 200:
                reached.add(path)
            for link in self.check(who, path, response.get_data(as_text=True)):
                target = urljoin(path, link)
                parts = urlsplit(target)
                if parts.netloc or not target.startswith("/") or target.startswith(SKIPPED):
                    continue
                if parts.path.endswith((".bpmn", ".csv", ".json", ".js", ".css", ".svg")):
                    continue
                target = parts.path + (f"?{parts.query}" if parts.query else "")
                if target not in seen:
                    queue.append(target)
        self.pages[who] = reached
        return reached


def test_every_page_of_every_role_is_in_swedish(finished):
    engine, cases = finished
    app = create_app({"KEDJA_ENGINE": engine, "SECRET_KEY": "swedish-pages"})
    crawl = Crawl(_identifiers(engine), _engine_phrases(), engine.forms.keys())
    assert {"buyer_organisation", "young", "service", "identify", "requirement_decided",
            "other_occupation", "praktik_anställning"} <= crawl.identifiers
    assert any("is already" in phrase for phrase in crawl.phrases)

    # Besides what the links lead to: every case, every task (open or done) and every chain by
    # its address (each role sees those it may, and a Swedish 404 for the rest).
    instances = engine.queries.instances(per_page=500).items
    starts = ["/", "/uppfoljning", "/admin", "/modeller", *(f"/cases/{i.id}" for i in instances),
              *(f"/tasks/{t.id}" for i in instances for t in engine.queries.instance(i.id)["open_tasks"]
                + engine.queries.instance(i.id)["history"]),
              *{f"/chains/{engine.queries.facts(i.id).get('procurement_id')}" for i in instances}]
    for who in USERS:
        browser = Browser(app.test_client())
        browser.login(who)
        reached = crawl.run(who, browser, starts, limit=1000)
        assert len(reached) > 2, who

        # The refusals a person can meet, and the error pages.
        for path in ("/admin", "/modeller", "/cases/finns-inte", "/tasks/finns-inte", "/chains/finns-inte"):
            response = browser.get(path)
            if response.status_code in (403, 404):
                crawl.check(who, f"{path} ({response.status_code})", response.get_data(as_text=True))
        response = browser.get("/logout")
        assert response.status_code == 405
        crawl.check(who, "/logout (405)", response.get_data(as_text=True))

    pages = {who: len(seen) for who, seen in crawl.pages.items()}
    assert pages["higab"] > 10 and pages["bygg"] > 10 and pages["admin"] > 20 and pages["owner"] > 2, pages
    assert any(path.startswith("/tasks/") for path in crawl.pages["af"])
    assert any(path.startswith("/chains/") for path in crawl.pages["higab"])
    assert any(path.startswith("/admin/") for path in crawl.pages["admin"])
    assert crawl.problems == {}, json.dumps(crawl.problems, ensure_ascii=False, indent=1)


def test_refusals_are_said_in_swedish_without_ids(finished):
    """A task someone else has taken, a paused case, a completed task, a form with errors."""
    engine, cases = finished
    app = create_app({"KEDJA_ENGINE": engine, "SECRET_KEY": "swedish-pages"})
    paused = cases["paused"]
    [identify] = engine.queries.instance(paused)["open_tasks"]
    engine.execute(ClaimTask(identify.id, Actor("kollega", AF)))
    af = Browser(app.test_client())
    af.login("af")
    af.get(f"/tasks/{identify.id}")
    af.post(f"/tasks/{identify.id}/claim", {"back": f"/tasks/{identify.id}"})
    text, _links = _read(af.get(f"/tasks/{identify.id}").get_data(as_text=True))
    assert "Uppgiften kunde inte tas. Uppgiften är tagen av kollega." in text
    response = af.post(f"/tasks/{identify.id}", {"target_group": "young", "gender": "woman", "birth_year": "1990"})
    text, _links = _read(response.get_data(as_text=True))
    assert response.status_code == 409
    assert "Uppgiften kunde inte slutföras. Uppgiften är tagen av kollega." in text

    done = next(t for t in engine.queries.instance(cases["waiting"])["history"] if t.state == "completed")
    angered = Browser(app.test_client())
    angered.login("angered")
    angered.get(f"/tasks/{done.id}")
    response = angered.post(f"/tasks/{done.id}", {"target_group": "young"})
    text, _links = _read(response.get_data(as_text=True))
    assert "Uppgiften är redan klar" in text and done.id not in text, text

    admin = Browser(app.test_client())
    admin.login("admin")
    admin.get(f"/cases/{paused}")
    admin.post(f"/admin/instances/{paused}/suspend", {"back": f"/cases/{paused}"})
    text, _links = _read(admin.get(f"/cases/{paused}").get_data(as_text=True))
    assert "Det gick inte. Ärendet är redan pausat." in text and paused[:8] not in text.replace("P-010", "")
    crawl = Crawl(_identifiers(engine), _engine_phrases(), engine.forms.keys())
    crawl.check("admin", "case", admin.get(f"/cases/{paused}").get_data(as_text=True))
    assert crawl.problems == {}


def test_an_unexpected_error_is_a_swedish_page(finished, monkeypatch):
    engine, _cases = finished
    app = create_app({"KEDJA_ENGINE": engine, "SECRET_KEY": "swedish-pages"})
    admin = Browser(app.test_client())
    admin.login("admin")

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(engine.queries, "status_counts", broken)
    response = admin.get("/admin")
    text, _links = _read(response.get_data(as_text=True))
    assert response.status_code == 500 and "Ett oväntat fel inträffade" in text
    assert "database on fire" not in text and "Internal Server Error" not in text


def test_the_figures_export_in_swedish_for_excel(finished):
    engine, _cases = finished
    app = create_app({"KEDJA_ENGINE": engine, "SECRET_KEY": "swedish-pages"})
    angered = Browser(app.test_client())
    angered.login("angered")
    response = angered.get("/uppfoljning/nyckeltal.csv")
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == "attachment; filename=nyckeltal.csv"
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # the byte order mark: Excel reads UTF-8
    rows = data.decode("utf-8-sig").split("\r\n")
    assert rows[0] == "Nyckeltal;Uppdelning;Värde"
    for row in ("Personer per kön och utfall;Kvinna / Anställning;1",
                "Personer per målgrupp och utfall;Personer med funktionsnedsättning / Praktik;1",
                "Ledtid per fas (dagar);Praktik eller anställning;61,3",
                "Avbrott per fas;Praktik eller anställning / Andel avbrott;0,3333",
                "Avtal;Rad 1 / Första placering inom sex månader;Nej",
                "Krav per typ;Särskilt kontraktsvillkor om anställning;1",
                "Uppskattat samhällsekonomiskt värde (kr);;260000"):
        assert row in rows, row
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", " ".join(rows)))
    assert not words & (_identifiers(engine) - SWEDISH_WORDS)


def test_the_follow_up_page_names_its_figures_in_swedish(finished):
    engine, _cases = finished
    app = create_app({"KEDJA_ENGINE": engine, "SECRET_KEY": "swedish-pages"})
    angered = Browser(app.test_client())
    angered.login("angered")
    html = angered.get("/uppfoljning").get_data(as_text=True)
    assert "260\u00a0000 kr" in html and "100\u00a0%" in html  # numbers the Swedish way (no-break spaces)
    names = json.loads(re.search(r'<script type="application/json" id="chart-labels">(.*?)</script>', html, re.S)[1])
    assert names["gender"]["woman"] == "Kvinna" and names["outcome"]["other_occupation"] == "Annan sysselsättning"
    assert names["phase"]["praktik_anställning"] == "Praktik eller anställning"


def test_a_number_is_typed_and_shown_again_with_a_decimal_comma(finished):
    engine, _cases = finished
    app = create_app({"KEDJA_ENGINE": engine, "SECRET_KEY": "swedish-pages"})
    [register] = engine.queries.inbox(HIGAB).items
    higab = Browser(app.test_client())
    higab.login("higab")
    higab.get(f"/tasks/{register.id}")
    response = higab.post(f"/tasks/{register.id}", {"estimated_value_msek": "1234,5", "kind": "service"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'value="1234,5"' in html  # kept as typed: 1234.5 read back
    text, _links = _read(html)
    assert "Formuläret har fel" in text and "Obligatoriskt fält" in text
