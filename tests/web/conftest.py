"""The web pages through Flask's test client: an app on this test's database with the model
deployed and users who sign in with a password."""
from __future__ import annotations

import re

import pytest

from api import create_app
from engine.commands import StartInstance

from ..helpers import model_engine

PASSWORD = "rätt-lösen-1"
USERS = {
    "af": ("Arbetsförmedlingen", ["caseworker"]),
    "angered": ("Angered", ["caseworker"]),
    "owner": ("Upphandlingsbolaget", ["process_owner"]),
    "admin": ("Upphandlingsbolaget", ["admin"]),
    "bygg": ("Bygg AB", ["supplier"]),
}


@pytest.fixture
def engine(make_engine):
    return model_engine(make_engine, USERS, PASSWORD)[0]


@pytest.fixture
def app(engine):
    return create_app({"KEDJA_ENGINE": engine, "SECRET_KEY": "web-tests"})


class Browser:
    """A test client that signs in and sends the CSRF token of the last page it read."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def get(self, path, **kwargs):
        response = self.client.get(path, **kwargs)
        found = re.search(r'name="csrf-token" content="([^"]+)"', response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def post(self, path, data=None, with_token=True, **kwargs):
        data = dict(data or {})
        if with_token:
            data.setdefault("csrf_token", self.token)
        return self.client.post(path, data=data, **kwargs)

    def login(self, username, password=PASSWORD):
        self.get("/login")
        response = self.post("/login", {"username": username, "password": password})
        self.get("/uppfoljning")  # a page after sign-in: its token belongs to the new session
        return response


@pytest.fixture
def browser(app):
    def make(username=None):
        browser = Browser(app.test_client())
        if username:
            browser.login(username)
        return browser
    return make


def start_participant(engine, participant_id: str, case_owner: str) -> str:
    return engine.execute(StartInstance("target_group", {
        "participant_id": participant_id, "procurement_id": "UPH-1", "case_owner": case_owner,
        "district": "Angered", "coordination_association": "Samordningsförbundet Göteborg Nordost"},
        business_key=participant_id)).id
