"""Headers and the declared contract: 405 names the allowed methods, every operation declares
its problem responses (problem+json, with the schema the service answers with), the docs page
runs no inline script."""
import re

PROBLEM = "application/problem+json"
OPEN = {"/api/v1/health"}


def _allowed(response) -> set[str]:
    return {method.strip() for method in response.headers["Allow"].split(",")}


def test_a_405_says_which_methods_the_route_takes(call):
    response = call("DELETE", "/api/v1/processes", "owner")
    assert response.status_code == 405 and response.mimetype == PROBLEM
    assert {"GET", "POST"} <= _allowed(response) and "DELETE" not in _allowed(response)
    response = call("PUT", "/api/v1/tasks/some-task/claim", "higab")
    assert response.status_code == 405 and _allowed(response) >= {"POST"} and "GET" not in _allowed(response)
    response = call("PATCH", "/api/v1/health")  # an open path: no token needed to learn it
    assert response.status_code == 405 and _allowed(response) >= {"GET"}


def test_every_operation_declares_its_problem_responses(call):
    spec = call("GET", "/api/openapi.json").json
    responses = spec["components"]["responses"]
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert problem["properties"]["errors"]["items"] == {"$ref": "#/components/schemas/ProblemError"}
    assert spec["components"]["schemas"]["ProblemError"]["required"] == ["message"]

    def resolve(response):
        return responses[response["$ref"].rsplit("/", 1)[1]] if "$ref" in response else response

    checked = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            declared = operation["responses"]
            where = (method.upper(), path)
            assert "default" in declared and "400" in declared, where
            if path not in OPEN:
                assert {"401", "429"} <= set(declared), where
                assert "WWW-Authenticate" in resolve(declared["401"])["headers"], where
                assert "Retry-After" in resolve(declared["429"])["headers"], where
            if "requestBody" in operation or any(p["in"] == "query" for p in operation.get("parameters", [])):
                assert "422" in declared, where
            for status, response in declared.items():
                if status == "default" or status.startswith("4"):
                    assert resolve(response)["content"] == {
                        PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}, (where, status)
                    checked += 1
    assert checked > 100


def test_problems_fit_their_declared_schema(call):
    """The members the schema names, with their types (the schemathesis run checks the rest)."""
    bad = call("POST", "/api/v1/processes", "owner", data=b"<a><b></a>", content_type="application/xml")
    assert bad.status_code == 422 and set(bad.json) == {"type", "title", "status", "detail", "errors"}
    assert {"element_id", "line", "message"} <= set(bad.json["errors"][0])
    fields = call("POST", "/api/v1/instances", "admin", json={"process": 5})
    assert fields.status_code == 422 and fields.json["errors"] == [
        {"field": "process", "message": "Not a valid string."}]


def test_the_docs_page_runs_no_inline_script_and_has_a_policy(call):
    page = call("GET", "/api/docs")
    assert page.status_code == 200
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy
    html = page.get_data(as_text=True)
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert re.search(r"\son[a-z]+=", html) is None
    assert 'data-spec-url="/api/openapi.json"' in html
    assert '"validatorUrl": null' in html  # no badge fetched from validator.swagger.io
    initializer = call("GET", "/static/swagger-ui-init.js")
    assert initializer.status_code == 200 and b"SwaggerUIBundle" in initializer.data


def test_answers_carry_the_safety_headers(call):
    for response in (call("GET", "/api/v1/tasks", "higab"), call("GET", "/api/v1/nothing", "higab"),
                     call("GET", "/api/openapi.json")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
