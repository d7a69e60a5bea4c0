"""The pages' headers: a Content-Security-Policy that allows no inline script (and no page or
template has any), the other safety headers, and Allow on a 405."""
import re

from api.web import CONTENT_SECURITY_POLICY, TEMPLATES

from .conftest import start_participant

INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def _directives(policy: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


def test_the_policy_allows_script_only_from_this_site():
    directives = _directives(CONTENT_SECURITY_POLICY)
    assert directives["script-src"] == "'self'" and directives["default-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'self'" and directives["form-action"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY and "*" not in CONTENT_SECURITY_POLICY


def test_no_template_has_inline_script_or_handlers():
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, (template.name, tag)
        assert INLINE_HANDLER.search(text) is None, template.name
        assert "javascript:" not in text.lower(), template.name


def test_every_page_carries_the_policy_and_the_safety_headers(browser, engine):
    instance_id = start_participant(engine, "P-1", "Arbetsförmedlingen")
    task = engine.queries.inbox("Arbetsförmedlingen").items[0]
    pages = {None: ["/login", "/no/such/page"],
             "af": ["/", f"/tasks/{task.id}", f"/cases/{instance_id}", "/uppfoljning", "/chains/UPH-1"],
             "owner": ["/modeller", "/modeller?process=target_group"],
             "admin": ["/admin", "/admin/stalled", "/admin/incidents", "/admin/messages", "/admin/audit"]}
    for username, paths in pages.items():
        user = browser(username)
        for path in paths:
            response = user.get(path)
            assert response.mimetype == "text/html", path
            assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path
            assert response.headers["X-Content-Type-Options"] == "nosniff", path
            assert response.headers["Referrer-Policy"] == "same-origin", path
            assert response.headers["X-Frame-Options"] == "DENY", path
            html = response.get_data(as_text=True)
            for tag in re.findall(r"<script[^>]*>", html):
                assert "src=" in tag or 'type="application/json"' in tag, (path, tag)
            assert INLINE_HANDLER.search(html) is None, path
    assert "Content-Security-Policy" not in browser("af").get("/static/kedja.css").headers


def test_a_405_page_says_which_methods_the_route_takes(browser):
    user = browser("af")
    response = user.client.delete("/login")
    assert response.status_code == 405 and response.mimetype == "text/html"
    assert {m.strip() for m in response.headers["Allow"].split(",")} >= {"GET", "POST"}
    assert "Metoden stöds inte" in response.get_data(as_text=True)
    # A POST to a page that takes none: 405 (with Allow), not a complaint about the CSRF token.
    response = user.post("/uppfoljning", with_token=False)
    assert response.status_code == 405 and "POST" not in response.headers["Allow"]
    assert "GET" in response.headers["Allow"]


def test_terminate_asks_first_through_a_data_attribute(browser, engine):
    start_participant(engine, "P-1", "Arbetsförmedlingen")
    html = browser("admin").get("/admin").get_data(as_text=True)
    assert 'data-action="terminate"' in html and 'data-confirm="Avbryta instansen? Det går inte att ångra."' in html
    assert "/static/kedja.js" in html
