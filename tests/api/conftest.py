"""An app on this test's database with the model deployed and users of several organisations."""
from __future__ import annotations

import pytest

from api import create_app

from ..helpers import model_engine

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
def model(make_engine):
    return model_engine(make_engine, USERS)


@pytest.fixture
def engine(model):
    return model[0]


@pytest.fixture
def tokens(model):
    return model[1]


@pytest.fixture
def app(engine, tokens):
    # Calls without a (right) token are many here, all from one address: not throttled (that
    # is tests/web/test_web__sign_in_throttle.py's subject).
    return create_app({"KEDJA_ENGINE": engine, "TESTING": True, "KEDJA_API_AUTH_LIMIT": "100000 per minute"})


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
