"""Batch migration over the API: process owners and administrators; a dry run by default."""
from engine.commands import Deploy


def test_a_batch_migration_is_a_dry_run_unless_asked_and_only_for_owners(engine, call):
    procurement = {row.key: row for row in engine.queries.latest_definitions()}["procurement"]
    started = call("POST", "/api/v1/instances", "higab", json={
        "process": "procurement", "business_key": "UPH-77",
        "data": {"procurement_id": "UPH-77", "buyer_organisation": "Higab"}})
    assert started.status_code == 201, started.json
    renamed = procurement.bpmn_xml.replace('name="Upphandlingsprocessen"', 'name="Upphandling"')
    [v2] = engine.execute(Deploy((("procurement.bpmn", renamed),)))
    path = "/api/v1/processes/procurement/migrations"
    body = {"from_version": procurement.version, "to_version": v2.version}
    assert call("POST", path, "higab", json=body).status_code == 403
    dry = call("POST", path, "owner", json=body)
    assert dry.status_code == 200 and [row["ok"] for row in dry.json] == [True]
    assert engine.queries.instances(process="procurement").items[0].definition_id == procurement.id
    done = call("POST", path, "admin", json={**body, "dry_run": False})
    assert [row["business_key"] for row in done.json if row["ok"]] == ["UPH-77"]
    assert engine.queries.instances(process="procurement").items[0].definition_id == v2.definition_id
    missing = call("POST", path, "owner", json={"from_version": 1, "to_version": 99})
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert call("POST", path, "owner", json={"from_version": "x"}).status_code == 422
