"""Failed sign-ins are throttled: per submitted username and per client address on the login
page, per address for the API's Bearer tokens. Only failures count; the attempt after the limit
is refused (429) without looking at the password or token, even a right one, until the window
(a minute by default) has moved past the failures."""
from __future__ import annotations

import logging
import time

import limits.storage.memory
import pytest

from ..api.conftest import USERS as API_USERS
from ..helpers import model_engine
from .conftest import PASSWORD

TOO_MANY = "För många misslyckade inloggningar. Försök igen om en stund."


class _Clock:
    """The rate-limit storage's clock, moved on by the test (the window is a real minute)."""

    def __init__(self):
        self.offset = 0.0

    def time(self):
        return time.time() + self.offset


@pytest.fixture
def limiter_clock(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(limits.storage.memory, "time", clock)
    return clock


def _attempt(browser, username, password, address):
    client = browser.client
    return client.post("/login", data={"username": username, "password": password, "csrf_token": browser.token},
                       environ_base={"REMOTE_ADDR": address})


def _signed_in(response):
    return response.status_code == 302 and response.location == "/"


def test_the_eleventh_wrong_password_for_an_account_is_refused_even_when_right(browser, limiter_clock, caplog):
    attacker = browser()
    attacker.get("/login")
    for attempt in range(10):
        response = _attempt(attacker, "af", f"fel-{attempt}", "10.0.0.1")
        assert response.status_code == 401, attempt
    with caplog.at_level(logging.WARNING, logger="kedja.auth"):
        response = _attempt(attacker, "af", PASSWORD, "10.0.0.1")
    assert response.status_code == 429 and TOO_MANY in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    assert any(record.name == "kedja.auth" and "'af'" in record.getMessage() and "10.0.0.1" in record.getMessage()
               for record in caplog.records)
    # The account is throttled from every address (the per-account limit)...
    owner = browser()
    owner.get("/login")
    refused = _attempt(owner, "af", PASSWORD, "10.0.0.2")
    assert refused.status_code == 429 and TOO_MANY in refused.get_data(as_text=True)
    # ... another account is not, there or from the attacker's own address... (10 failures lie
    # on 10.0.0.1 too: the address limit is also used up, see the next test), so from elsewhere:
    other = browser()
    other.get("/login")
    assert _signed_in(_attempt(other, "angered", PASSWORD, "10.0.0.2"))
    # ... and throttled attempts do not count: half a minute on, still refused; past the window, in.
    limiter_clock.offset = 30
    assert _attempt(owner, "af", PASSWORD, "10.0.0.2").status_code == 429
    limiter_clock.offset = 61
    assert _signed_in(_attempt(owner, "af", PASSWORD, "10.0.0.2"))


def test_an_address_with_ten_failures_is_refused_for_any_account(browser, limiter_clock):
    attacker = browser()
    attacker.get("/login")
    for attempt in range(10):  # one try each at ten names: no account reaches its limit
        assert _attempt(attacker, f"user-{attempt}", "fel", "10.0.0.3").status_code == 401
    assert _attempt(attacker, "angered", PASSWORD, "10.0.0.3").status_code == 429
    elsewhere = browser()
    elsewhere.get("/login")
    assert _signed_in(_attempt(elsewhere, "angered", PASSWORD, "10.0.0.4"))
    limiter_clock.offset = 61
    assert _signed_in(_attempt(attacker, "angered", PASSWORD, "10.0.0.3"))


def test_successful_sign_ins_do_not_count(browser):
    user = browser()
    user.get("/login")
    for _ in range(15):
        assert _signed_in(_attempt(user, "af", PASSWORD, "10.0.0.5"))
        user.get("/login")


def test_the_limit_is_a_setting(engine):
    from api import create_app

    from .conftest import Browser

    app = create_app({"KEDJA_ENGINE": engine, "SECRET_KEY": "t", "KEDJA_LOGIN_LIMIT": "2 per minute"})
    user = Browser(app.test_client())
    user.get("/login")
    assert [_attempt(user, "af", "fel", "10.0.0.6").status_code for _ in range(3)] == [401, 401, 429]


@pytest.fixture
def api(make_engine):
    from api import create_app

    engine, tokens = model_engine(make_engine, API_USERS)
    return create_app({"KEDJA_ENGINE": engine, "TESTING": True}).test_client(), tokens


def _get(client, path, token, address):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(path, headers=headers, environ_base={"REMOTE_ADDR": address})


def test_the_api_throttles_failed_tokens_per_address(api, limiter_clock, caplog):
    client, tokens = api
    for attempt in range(10):
        path = "/api/v1/tasks" if attempt % 2 else "/api/v1/no-such-route"  # any /api/ path counts
        assert _get(client, path, f"guess-{attempt}", "10.0.1.1").status_code == 401
    with caplog.at_level(logging.WARNING, logger="kedja.auth"):
        refused = _get(client, "/api/v1/tasks", tokens["higab"], "10.0.1.1")  # a right token: refused
    assert refused.status_code == 429 and refused.mimetype == "application/problem+json"
    assert refused.json["status"] == 429 and refused.json["title"] == "Too many requests"
    assert int(refused.headers["Retry-After"]) > 0
    assert any(record.name == "kedja.auth" and "10.0.1.1" in record.getMessage() for record in caplog.records)
    assert _get(client, "/api/v1/health", None, "10.0.1.1").status_code == 200  # health checks stay open
    assert _get(client, "/api/v1/tasks", tokens["higab"], "10.0.1.2").status_code == 200  # other addresses
    for _ in range(20):  # right tokens never count
        assert _get(client, "/api/v1/tasks", tokens["trafik"], "10.0.1.3").status_code == 200
    limiter_clock.offset = 30
    assert _get(client, "/api/v1/tasks", tokens["higab"], "10.0.1.1").status_code == 429
    limiter_clock.offset = 61
    assert _get(client, "/api/v1/tasks", tokens["higab"], "10.0.1.1").status_code == 200
