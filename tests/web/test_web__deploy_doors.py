"""One deploy rule set: the API, the modeller and the CLI refuse the same bad diagrams with the
same reasons, and write nothing; a restart never replaces an owner's version."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from api import create_app
from api.web.problem_texts import known, problem_swedish
from engine.cli import deploy_initial, main
from goteborg.roles import REQUIREMENTS

from ..helpers import PG_URL, model_engine, scripted_bpmn
from .conftest import PASSWORD, USERS, Browser

GOOD = scripted_bpmn()
BAD_DIAGRAMS = {
    "user task without a form": (GOOD.replace(' kedja:formKey="review"', ""), "user task has no kedja:formKey"),
    "a form nobody deployed": (GOOD.replace('kedja:formKey="review"', 'kedja:formKey="no_such_form"'),
                               "no deployed form 'no_such_form'"),
    "a path as form key": (GOOD.replace('kedja:formKey="review"', 'kedja:formKey="/etc/passwd"'),
                           "is not a form name"),
    "a message nobody catches": (GOOD.replace(' kedja:external="true"', ""), "nothing in the set catches it"),
    "an unknown starter role": (GOOD.replace('isExecutable="true"', 'isExecutable="true" kedja:startableBy="mayor"'),
                                "kedja:startableBy names unknown roles mayor"),
    "an expression that might not end": (GOOD.replace("total &gt; 100", "(lambda: 1)() &gt; 0"),
                                         "'lambda' is not allowed"),
}

PROCESSES = Path(__file__).resolve().parents[2] / "processes"
# New versions of the model's processes that drop a role the Göteborg model relies on (goteborg/roles.py).
DROPPED_ROLES = {
    "the follow-up phases": ("target_group", lambda xml: re.sub(r' kedja:followUpPhase="[^"]*"', "", xml),
                             'no longer declares a user task with kedja:followUpPhase="matchning"'),
    "the candidate-proposal message": ("supplier", lambda xml: xml.replace(' kedja:modelRole="candidate_proposal"', ""),
                                       'no longer declares a message with kedja:modelRole="candidate_proposal"'),
    "the participant process": ("target_group", lambda xml: xml.replace(' kedja:modelRole="participant"', ""),
                                'no longer declares kedja:modelRole="participant" on the process'),
}


@pytest.fixture
def doors(make_engine, database_url, tmp_path, monkeypatch):
    # what the model package relies on, as `kedja serve` and `kedja deploy` are given it (EngineConfig.from_env)
    engine, tokens = model_engine(make_engine, USERS, PASSWORD, model_requirements=REQUIREMENTS)
    client = create_app({"KEDJA_ENGINE": engine, "SECRET_KEY": "doors"}).test_client()
    owner = Browser(client)
    owner.login("owner")
    owner.get("/modeller")
    url, schema = database_url
    monkeypatch.setenv("KEDJA_DATABASE_URL", url)
    if schema:
        monkeypatch.setenv("KEDJA_DATABASE_SCHEMA", schema)
    monkeypatch.setenv("KEDJA_FORMS_DIR", engine.config.forms_dir)

    def api(xml: str) -> list[str]:
        response = client.post("/api/v1/processes", data=xml.encode(), content_type="application/xml",
                               headers={"Authorization": f"Bearer {tokens['owner']}"})
        assert response.status_code == 422 and response.mimetype == "application/problem+json"
        return [e["message"] for e in response.get_json()["errors"]]

    def modeller(xml: str) -> list[str]:
        response = client.post("/modeller/deploy", json={"xml": xml}, headers={"X-CSRFToken": owner.token})
        assert response.status_code == 422, response.get_data(as_text=True)
        checked = client.post("/modeller/check", json={"xml": xml}, headers={"X-CSRFToken": owner.token})
        assert [(p["message"], p["message_en"]) for p in checked.get_json()["problems"]] == \
            [(e["message"], e["message_en"]) for e in response.get_json()["errors"]]  # check tells what deploy refuses
        for error in response.get_json()["errors"]:  # the page says it in Swedish, the engine's words kept
            assert error["message"] == problem_swedish(error["message_en"]) != error["message_en"]
            assert known(error["message_en"]), error["message_en"]
        return [e["message_en"] for e in response.get_json()["errors"]]

    def cli(xml: str) -> list[str]:
        path = tmp_path / "scripted.bpmn"
        path.write_text(xml, encoding="utf-8")
        result = CliRunner().invoke(main, ["deploy", str(path)], catch_exceptions=False)
        assert result.exit_code == 1
        return [line.split(": ", 2)[2] for line in result.output.strip().splitlines()]

    return engine, {"api": api, "modeller": modeller, "cli": cli}


@pytest.mark.parametrize("case", list(BAD_DIAGRAMS))
def test_every_door_refuses_the_same_diagram_with_the_same_reasons(doors, case):
    engine, door = doors
    xml, reason = BAD_DIAGRAMS[case]
    answers = {name: sorted(refuse(xml)) for name, refuse in door.items()}
    assert answers["api"] == answers["modeller"] == answers["cli"], answers
    assert any(reason in message for message in answers["api"]), answers["api"]
    assert "scripted" not in {row.key for row in engine.queries.latest_definitions()}  # nothing written


@pytest.mark.parametrize("case", list(DROPPED_ROLES))
def test_every_door_refuses_a_version_that_drops_a_role_the_model_relies_on(doors, case):
    engine, door = doors
    key, change, reason = DROPPED_ROLES[case]
    before = {row.key: row.version for row in engine.queries.latest_definitions()}
    answers = {name: sorted(refuse(change((PROCESSES / f"{key}.bpmn").read_text(encoding="utf-8"))))
               for name, refuse in door.items()}
    assert answers["api"] == answers["modeller"] == answers["cli"], answers
    assert any(reason in message and "(keep the attribute when you rename or replace the element)" in message
               for message in answers["api"]), answers["api"]
    assert {row.key: row.version for row in engine.queries.latest_definitions()} == before  # nothing written


@pytest.mark.skipif(bool(PG_URL), reason="one database is enough for this")
def test_a_restart_keeps_the_owners_version_as_the_latest(doors):
    engine, _door = doors
    before = {row.key: row.version for row in engine.queries.latest_definitions()}
    owner = Browser(create_app({"KEDJA_ENGINE": engine, "SECRET_KEY": "doors"}).test_client())
    owner.login("owner")
    owner.get("/modeller")
    changed = engine.queries.latest_definitions()[0]
    xml = changed.bpmn_xml.replace('name="Upphandlingsprocessen"', 'name="Upphandlingsprocessen (ägarens)"')
    response = owner.client.post("/modeller/deploy", json={"xml": xml}, headers={"X-CSRFToken": owner.token})
    assert response.status_code == 201, response.get_data(as_text=True)
    owners = {row.key: row for row in engine.queries.latest_definitions()}[changed.key]
    assert (owners.version, owners.source, owners.deployed_by) == (before[changed.key] + 1, "modeller", "owner")

    for _restart in range(2):  # what `kedja serve` and `kedja demo` do at every start
        deploy_initial(engine)
    after = {row.key: row for row in engine.queries.latest_definitions()}
    assert after[changed.key].version == owners.version
    assert "(ägarens)" in after[changed.key].bpmn_xml
    assert {key: row.version for key, row in after.items()} == {**before, changed.key: owners.version}
