"""Single sign-on's mapping without a provider: claims to roles, issuer and subject to a
username, the user made on first sign-in and following the provider's organisation and roles
later, a password account never taken over. (The whole flow: tests/browser/test_browser__oidc.py.)"""
from __future__ import annotations

import pytest

from api import create_app
from api.oidc import roles_from, username_for
from engine.accounts import add_organisation, add_user, by_session, sign_in_external, username_is_external
from engine.errors import InvalidInput, NotFound


def test_roles_are_kedjas_among_the_claims_values():
    assert roles_from(["caseworker", "astronaut", "admin", "caseworker"]) == ["admin", "caseworker"]
    assert roles_from("process_owner superuser") == ["process_owner"]
    assert roles_from(None) == roles_from(42) == roles_from(["superuser"]) == []


def test_usernames_are_stable_per_issuer_and_subject():
    name = username_for("https://idp.example", "248289761001")
    assert name == username_for("https://idp.example", "248289761001") and len(name) == 29
    assert name.startswith("oidc-") and name != username_for("https://other.example", "248289761001")


@pytest.fixture
def engine(make_engine):
    engine = make_engine()
    with engine.uow() as uow:
        for name in ("Higab", "Angered"):
            add_organisation(uow, name)
        uow.repo.flush()
        add_user(uow, "lokal", "Higab", ["caseworker"], engine.now(), "ett-lösenord")
        uow.commit()
    return engine


def _sign_in(engine, username, organisation, roles):
    with engine.uow() as uow:
        account = sign_in_external(uow, username, organisation, roles, engine.now())
        uow.commit()
    return account


def test_made_on_first_sign_in_then_following_the_provider(engine):
    first = _sign_in(engine, "oidc-a", "Higab", ["caseworker"])
    assert (first.organisation, first.roles) == ("Higab", frozenset({"caseworker"}))
    moved = _sign_in(engine, "oidc-a", "Angered", ["caseworker", "admin"])
    assert (moved.organisation, moved.roles) == ("Angered", frozenset({"caseworker", "admin"}))
    with engine.session_factory() as db:
        assert by_session(db, "oidc-a", 0) == moved


def test_refusals(engine):
    with pytest.raises(NotFound):
        _sign_in(engine, "oidc-b", "Okänd AB", ["caseworker"])
    with pytest.raises(InvalidInput):
        _sign_in(engine, "oidc-b", "Higab", [])
    with pytest.raises(InvalidInput, match="signs in with a password"):
        _sign_in(engine, "lokal", "Higab", ["admin"])
    with engine.session_factory() as db:
        assert not username_is_external(db, "lokal") and username_is_external(db, "oidc-new")


def test_the_button_shows_only_when_configured(engine, monkeypatch):
    for name in ("KEDJA_OIDC_ISSUER", "KEDJA_OIDC_CLIENT_ID", "KEDJA_OIDC_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    plain = create_app({"KEDJA_ENGINE": engine, "SECRET_KEY": "t"}).test_client()
    assert "Logga in via din organisation" not in plain.get("/login").get_data(as_text=True)
    assert plain.get("/login/oidc").status_code == 404
    sso = create_app({"KEDJA_ENGINE": engine, "SECRET_KEY": "t", "KEDJA_OIDC_ISSUER": "http://127.0.0.1:9",
                      "KEDJA_OIDC_CLIENT_ID": "kedja", "KEDJA_OIDC_CLIENT_SECRET": "s",
                      "KEDJA_OIDC_LABEL": "Logga in med Göteborgs konto"}).test_client()
    page = sso.get("/login?next=/uppfoljning").get_data(as_text=True)
    assert 'href="/login/oidc?next=/uppfoljning">Logga in med Göteborgs konto</a>' in page
    # The provider does not answer (nothing listens on port 9): a page saying so, not a crash.
    unreachable = sso.get("/login/oidc")
    assert unreachable.status_code == 502 and "misslyckades" in unreachable.get_data(as_text=True)
    with pytest.raises(RuntimeError, match="KEDJA_OIDC_CLIENT_ID"):
        create_app({"KEDJA_ENGINE": engine, "SECRET_KEY": "t", "KEDJA_OIDC_ISSUER": "http://127.0.0.1:9"})
