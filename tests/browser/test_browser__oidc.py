"""Single sign-on end to end: Kedja's login page, a real OpenID provider's sign-in
(tests/oidc/provider.mjs: oidc-provider in node), back in Kedja as the user the provider's
claims make: organisation and roles from its claims, the user made on first sign-in."""
from __future__ import annotations

import logging
import socket
import threading

import pytest
from sqlalchemy import select
from waitress.server import create_server

from api import create_app
from api.oidc import NO_ROLE, UNKNOWN_ORGANISATION, username_for
from engine.commands import StartInstance
from engine.models import User

from ..oidc import CLIENT_ID, CLIENT_SECRET, provider, require
from .conftest import snap


@pytest.fixture
def issuer_and_url(engine):
    """Kedja on a port bound first (the provider must know the redirect URI), then the provider."""
    require()
    listener = socket.create_server(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    with provider(f"{base}/login/oidc/callback") as issuer:
        app = create_app({"KEDJA_ENGINE": engine, "SECRET_KEY": "browser-tests", "KEDJA_OIDC_ISSUER": issuer,
                          "KEDJA_OIDC_CLIENT_ID": CLIENT_ID, "KEDJA_OIDC_CLIENT_SECRET": CLIENT_SECRET,
                          # The provider gives organisation and roles for a scope of that name, from
                          # its userinfo endpoint (not in the ID token: Kedja asks for them there).
                          "KEDJA_OIDC_SCOPES": "openid profile email organisation"})
        server = create_server(app, sockets=[listener], threads=4)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        yield issuer, base
        server.close()
        thread.join(timeout=5)


@pytest.fixture
def base_url(issuer_and_url):  # the page fixture's site: this one, with single sign-on
    return issuer_and_url[1]


def _sign_in_at_the_provider(page, login: str, name: str) -> None:
    page.goto("/login")
    page.get_by_role("link", name="Logga in via din organisation").click()
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "vilket-som-helst")
    snap(page, f"oidc_provider_sign_in_{name}")


def test_sign_in_with_the_organisations_provider(page, engine, issuer_and_url, caplog):
    issuer = issuer_and_url[0]
    engine.execute(StartInstance("target_group", {
        "participant_id": "P-SSO-1", "procurement_id": "UPH-1", "case_owner": "Arbetsförmedlingen",
        "district": "Angered", "coordination_association": "Samordningsförbundet Göteborg Nordost"},
        business_key="P-SSO-1"))
    _sign_in_at_the_provider(page, "anna", "anna")
    with caplog.at_level(logging.INFO, logger="kedja.auth"):
        page.get_by_role("button", name="Sign-in").click()
        page.wait_for_selector("header .who")
    assert page.url == issuer_and_url[1] + "/"
    # Back in Kedja's inbox, as anna of Arbetsförmedlingen (the provider's claims).
    assert page.locator("header .who span").inner_text() == "anna · Arbetsförmedlingen"
    assert "P-SSO-1" in page.locator("main").inner_text()  # Arbetsförmedlingen's task
    username = username_for(issuer, "anna")
    with engine.session_factory() as db:
        user = db.scalars(select(User).where(User.username == username)).one()
        assert (user.organisation, user.roles, user.password_hash) == ("Arbetsförmedlingen", "caseworker", None)
    assert any(username in record.getMessage() and "anna" in record.getMessage() for record in caplog.records)
    snap(page, "oidc_signed_in_inbox")
    # Signing out and in again finds the same user (no second one is made).
    page.get_by_role("button", name="Logga ut").click()
    page.get_by_role("link", name="Logga in via din organisation").click()
    page.wait_for_selector("header .who")  # the provider remembers the person: straight back
    with engine.session_factory() as db:
        assert db.query(User).filter(User.username.like("oidc-%")).count() == 1


@pytest.mark.parametrize(("login", "message"), [("olle", UNKNOWN_ORGANISATION), ("rolf", NO_ROLE)],
                         ids=["unknown-organisation", "no-kedja-role"])
def test_an_unknown_organisation_or_no_kedja_role_is_refused(page, engine, login, message, caplog):
    _sign_in_at_the_provider(page, login, login)
    with caplog.at_level(logging.WARNING, logger="kedja.auth"), \
            page.expect_response(lambda response: "/login/oidc/callback" in response.url) as answer:
        page.get_by_role("button", name="Sign-in").click()
    assert answer.value.status == 403
    page.wait_for_selector(".flash.error")
    assert page.locator(".flash.error").inner_text() == message
    assert page.locator("header .who").count() == 0  # not signed in
    with engine.session_factory() as db:
        assert db.query(User).filter(User.username.like("oidc-%")).count() == 0
    assert any("refused" in record.getMessage() and login in record.getMessage() for record in caplog.records)
