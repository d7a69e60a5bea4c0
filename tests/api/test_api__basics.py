"""The contract's basics: health, OpenAPI, authentication, problem+json, processes."""
from ..scenarios.chain import PROCESSES

PROBLEM = "application/problem+json"


def test_health_and_openapi_need_no_token(call):
    health = call("GET", "/api/v1/health")
    assert health.status_code == 200 and health.json["status"] == "ok"
    spec = call("GET", "/api/openapi.json")
    assert spec.status_code == 200 and spec.json["openapi"].startswith("3.")
    assert "/api/v1/tasks/{task_id}/complete" in spec.json["paths"]


def test_the_docs_page_is_served_with_its_own_files(call):
    page = call("GET", "/api/docs")
    assert page.status_code == 200 and b"/api/docs/static/swagger-ui-bundle.js" in page.data
    assert b"//cdn" not in page.data and b"https://" not in page.data.split(b"<body")[0]
    assert call("GET", "/api/docs/static/swagger-ui-bundle.js").status_code == 200


def test_missing_or_wrong_token_is_401_problem(call):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic eDp5"}):
        response = call("GET", "/api/v1/tasks", headers=headers)
        assert response.status_code == 401
        assert response.mimetype == PROBLEM
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_path_and_method_are_problems(call):
    assert call("GET", "/api/v1/nothing", "higab").status_code == 404
    response = call("DELETE", "/api/v1/processes", "owner")
    assert response.status_code == 405 and response.mimetype == PROBLEM


def test_processes_list_and_xml(call):
    listed = call("GET", "/api/v1/processes", "higab").json
    assert {(d["key"], d["version"]) for d in listed} == {("procurement", 1), ("supplier", 1), ("target_group", 1)}
    xml = call("GET", "/api/v1/processes/procurement/bpmn?version=1", "higab")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"
    assert xml.data == (PROCESSES / "procurement.bpmn").read_bytes()
    assert call("GET", "/api/v1/processes/procurement/bpmn?version=9", "higab").status_code == 404
    assert call("GET", "/api/v1/processes/procurement/bpmn?version=x", "higab").status_code == 422


def test_deploy_is_for_process_owners_and_checks_the_diagram(call):
    xml = (PROCESSES / "procurement.bpmn").read_bytes().replace(b"Screening", b"Screening (ny)")
    assert call("POST", "/api/v1/processes", "higab", data=xml, content_type="application/xml").status_code == 403
    deployed = call("POST", "/api/v1/processes", "owner", data=xml, content_type="application/xml")
    assert deployed.status_code == 201 and deployed.json == [
        {"key": "procurement", "version": 2, "name": "Upphandlingsprocessen", "created": True}]
    assert call("POST", "/api/v1/processes", "owner", data=xml, content_type="text/plain").status_code == 415
    bad = call("POST", "/api/v1/processes", "owner", data=b"<a><b></a>", content_type="application/xml")
    assert bad.status_code == 422 and bad.mimetype == PROBLEM and bad.json["errors"][0]["line"] == 1
    evil = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    assert call("POST", "/api/v1/processes", "owner", data=evil, content_type="application/xml").status_code == 422


def test_too_large_a_body_is_413(call, engine):
    big = b"<a>" + b" " * (engine.config.max_bpmn_bytes + 100_000) + b"</a>"
    response = call("POST", "/api/v1/processes", "owner", data=big, content_type="application/xml")
    assert response.status_code == 413 and response.mimetype == PROBLEM


def test_malformed_json_is_a_problem(call):
    response = call("POST", "/api/v1/instances", "higab", data="{not json", content_type="application/json")
    assert response.status_code in (400, 422) and response.mimetype == PROBLEM


def test_a_server_error_is_a_problem_without_details(call, monkeypatch, engine):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(engine.queries, "definitions", broken)
    response = call("GET", "/api/v1/processes", "higab")
    assert response.status_code == 500 and response.mimetype == PROBLEM
    assert "secret" not in response.get_data(as_text=True)


def test_nul_characters_are_refused_on_every_database(call):
    assert call("GET", "/api/v1/tasks?process=a%00b", "higab").status_code == 400
    response = call("POST", "/api/v1/instances", "higab", json={"process": "procurement", "business_key": "a\x00b",
                                                                "data": {}})
    assert response.status_code == 400 and response.mimetype == PROBLEM
