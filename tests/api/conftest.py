"""An app on this test's database with the model deployed and users of several organisations."""
from __future__ import annotations

import pytest

from api import create_app
from engine.accounts import add_organisation, add_user
from engine.commands import Deploy

from ..scenarios.chain import MODEL, PROCESSES

USERS = {  # username: (organisation, roles)
    "higab": ("Higab", ["caseworker"]),
    "trafik": ("Trafikkontoret", ["caseworker"]),
    "support": ("Upphandlingsbolaget", ["caseworker"]),
    "angered": ("Angered", ["caseworker"]),
    "af": ("Arbetsförmedlingen", ["caseworker"]),
    "owner": ("Upphandlingsbolaget", ["process_owner"]),
    "admin": ("Upphandlingsbolaget", ["admin"]),
    "bygg": ("Bygg AB", ["supplier"]),
    "stad": ("Städ AB", ["supplier"]),
    "nordost": ("Samordningsförbundet Göteborg Nordost", ["caseworker"]),
    "vux": ("Vuxenutbildningsförvaltningen", ["caseworker"]),
}


@pytest.fixture
def engine(make_engine):
    engine = make_engine(forms_dir=None)
    engine.execute(Deploy(tuple((f"{key}.bpmn", (PROCESSES / f"{key}.bpmn").read_bytes()) for key in MODEL)))
    return engine


@pytest.fixture
def tokens(engine):
    tokens = {}
    with engine.uow() as uow:
        for organisation in {org for org, _roles in USERS.values()}:
            add_organisation(uow, organisation)
        uow.repo.flush()
        for username, (organisation, roles) in USERS.items():
            tokens[username] = add_user(uow, username, organisation, roles, engine.now())
        uow.commit()
    return tokens


@pytest.fixture
def app(engine, tokens):
    return create_app({"KEDJA_ENGINE": engine, "TESTING": True})


class Client:
    """A test client that speaks as one of the users."""

    def __init__(self, flask_client, tokens):
        self.flask, self.tokens = flask_client, tokens

    def __call__(self, method: str, path: str, user: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        if user:
            headers["Authorization"] = f"Bearer {self.tokens[user]}"
        return self.flask.open(path, method=method, headers=headers, **kwargs)


@pytest.fixture
def call(app, tokens):
    return Client(app.test_client(), tokens)
