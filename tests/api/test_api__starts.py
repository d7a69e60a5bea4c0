"""Starting a case: the start form checks the data (422 with field errors, nothing created),
identity comes from the account (nobody starts a case as another organisation), a retried
request starts one case, and a business key is unique per process."""
import pytest

from engine.models import Instance

PARTICIPANT = {"participant_id": "P-1", "procurement_id": "UPH-1", "district": "Angered",
               "coordination_association": "Samordningsförbundet Göteborg Nordost"}


def _do(call, user, element, data):
    task = next(t for t in call("GET", "/api/v1/tasks?per_page=200", user).json["items"] if t["element_id"] == element)
    response = call("POST", f"/api/v1/tasks/{task['id']}/complete", user, json={"data": data})
    assert response.status_code == 200, response.json


def _procurement(call, published=False):
    response = call("POST", "/api/v1/instances", "higab", json={"process": "procurement",
                                                                "data": {"procurement_id": "UPH-1"}})
    assert response.status_code == 201, response.json
    if published:
        _do(call, "higab", "register", {"title": "Grönyteskötsel", "kind": "service", "estimated_value_msek": 25,
                                        "contract_start": "2026-04-01", "duration_months": 12, "estimated_workers": 3,
                                        "framework_agreement": False})
        _do(call, "support", "needs_inventory", {"competences": [
            {"competence": "Trädgårdsarbetare", "level": "entry", "count": 1, "needed_by": "2026-05-01"}]})
        _do(call, "higab", "requirement", {"requirement_kind": "binding", "places": 1, "required_months": 12,
                                           "matching_body": "Upphandlingsbolaget"})
        _do(call, "higab", "publish", {"published_on": "2026-01-05", "tender_deadline": "2026-02-01"})
    return response.json


def _instances(engine, process):
    with engine.session_factory() as session:
        return session.query(Instance).filter_by(process_key=process).count()


def test_each_process_a_person_starts_serves_its_start_form(call):
    _procurement(call)
    form = call("GET", "/api/v1/processes/target_group/start-form", "af").json
    assert form["schema"]["title"] == "Ny deltagare" and form["account_fields"] == ["case_owner"]
    assert form["schema"]["properties"]["district"]["enum"] == ["Angered", "Västra Hisingen"]
    assert form["schema"]["properties"]["procurement_id"]["enum"] == ["UPH-1"]
    assert call("GET", "/api/v1/processes/procurement/start-form", "higab").json["schema"]["title"] == "Ny upphandling"
    assert call("GET", "/api/v1/processes/supplier/start-form", "bygg").json["schema"]["title"] == "Lämna anbud"
    assert call("GET", "/api/v1/processes/supplier/start-form", "higab").status_code == 403


def test_bad_start_data_gets_field_errors_and_creates_nothing(call, engine):
    _procurement(call)
    response = call("POST", "/api/v1/instances", "af", json={"process": "target_group", "data": {
        "participant_id": "P-1", "procurement_id": "UPH-404", "district": "Bygg AB"}})
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    fields = {error["field"] for error in response.json["errors"]}
    assert fields == {"procurement_id", "district", "coordination_association"}
    assert _instances(engine, "target_group") == 0  # no half-made case in error behind
    response = call("POST", "/api/v1/instances", "higab", json={"process": "procurement", "data": {}})
    assert response.status_code == 422 and [e["field"] for e in response.json["errors"]] == ["procurement_id"]


@pytest.mark.parametrize("process, user, data, field, own", [
    ("procurement", "higab", {"procurement_id": "UPH-9", "buyer_organisation": "Trafikkontoret"},
     "buyer_organisation", "Higab"),
    ("target_group", "af", {**PARTICIPANT, "case_owner": "Bygg AB"}, "case_owner", "Arbetsförmedlingen"),
    ("target_group", "af", {**PARTICIPANT, "case_owner": "Finns Inte AB"}, "case_owner", "Arbetsförmedlingen"),
    ("supplier", "bygg", {"procurement_id": "UPH-1", "supplier_id": "S9", "supplier_name": "Städ AB"},
     "supplier_name", "Bygg AB"),
])
def test_nobody_starts_a_case_as_another_organisation(call, engine, process, user, data, field, own):
    _procurement(call, published=process == "supplier")
    response = call("POST", "/api/v1/instances", user, json={"process": process, "data": data})
    assert response.status_code == 201, response.json
    detail = call("GET", f"/api/v1/instances/{response.json['id']}", user).json
    assert [t["organisation"] for t in detail["open_tasks"]] == [own]  # the first task is the caller's own
    assert engine.queries.instance_data(response.json["id"])[field] == own


def test_an_administrator_may_start_for_an_existing_organisation_only(call):
    _procurement(call)
    ok = call("POST", "/api/v1/instances", "admin", json={"process": "target_group", "data": {
        **PARTICIPANT, "case_owner": "Angered"}})
    assert ok.status_code == 201, ok.json
    assert [t["organisation"] for t in ok.json["open_tasks"]] == ["Angered"]
    refused = call("POST", "/api/v1/instances", "admin", json={"process": "target_group", "data": {
        **PARTICIPANT, "participant_id": "P-2", "case_owner": "Finns Inte AB"}})
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "case_owner"


def test_a_retried_start_makes_one_case_and_a_business_key_is_unique(call, engine):
    _procurement(call)
    body = {"process": "target_group", "data": PARTICIPANT}
    first = call("POST", "/api/v1/instances", "af", json=body, headers={"Idempotency-Key": "reg-1"})
    again = call("POST", "/api/v1/instances", "af", json=body, headers={"Idempotency-Key": "reg-1"})
    assert (first.status_code, again.status_code) == (201, 200) and first.json["id"] == again.json["id"]
    assert first.json["business_key"] == "P-1"  # from the start form's participant number
    duplicate = call("POST", "/api/v1/instances", "af", json=body)
    assert duplicate.status_code == 409 and "P-1" in duplicate.json["detail"]
    assert _instances(engine, "target_group") == 1
