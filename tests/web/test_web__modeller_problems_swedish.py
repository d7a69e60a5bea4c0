"""The modeller says the engine's deploy problems in Swedish (the API keeps the engine's
English): a user task without a form, a message nobody catches, a lambda in a condition."""
from __future__ import annotations

import pytest

from api import create_app

from ..helpers import model_engine, scripted_bpmn
from .conftest import PASSWORD, USERS, Browser

GOOD = scripted_bpmn()
CASES = {
    "a user task without kedja:formKey": (GOOD.replace(' kedja:formKey="review"', ""),
                                          "Användaruppgiften saknar formulär (kedja:formKey).",
                                          "user task has no kedja:formKey"),
    "a message nobody catches": (GOOD.replace(' kedja:external="true"', ""),
                                 "skickas, men ingen process tar emot det.",
                                 "is thrown but nothing in the set catches it"),
    "a lambda in a condition": (GOOD.replace("total &gt; 100", "(lambda: 1)() &gt; 0"),
                                "Uttrycket godtas inte: 'lambda' är inte tillåtet i ett uttryck",
                                "expression refused: 'lambda' is not allowed"),
}


@pytest.fixture
def owner(make_engine):
    engine, _tokens = model_engine(make_engine, USERS, PASSWORD)
    browser = Browser(create_app({"KEDJA_ENGINE": engine, "SECRET_KEY": "swedish problems"}).test_client())
    browser.login("owner")
    browser.get("/modeller")
    return browser


@pytest.mark.parametrize("case", list(CASES))
def test_the_modellers_check_says_the_problems_in_swedish(owner, case):
    xml, swedish, english = CASES[case]
    response = owner.client.post("/modeller/check", json={"xml": xml}, headers={"X-CSRFToken": owner.token})
    assert response.status_code == 200, response.get_data(as_text=True)
    problems = response.get_json()["problems"]
    assert problems
    assert any(swedish in p["message"] for p in problems), problems
    assert any(english in p["message_en"] for p in problems), problems  # the engine's words are kept too
    for p in problems:
        assert p["message"] != p["message_en"] and not p["message"].startswith("Diagrammet har ett fel här")
    if case == "a message nobody catches":
        assert any("'" in p["message"] and p["element_id"] for p in problems)  # the message's name is kept


def test_the_deploy_refusal_is_in_swedish_too(owner):
    xml = CASES["a user task without kedja:formKey"][0]
    response = owner.client.post("/modeller/deploy", json={"xml": xml}, headers={"X-CSRFToken": owner.token})
    assert response.status_code == 422
    assert [e["message"] for e in response.get_json()["errors"]] == \
        ["Användaruppgiften saknar formulär (kedja:formKey)."]
