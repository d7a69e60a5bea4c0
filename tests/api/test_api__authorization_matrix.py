"""Role × endpoint: what each kind of account may do (a caseworker here is Higab's)."""
import pytest

from ..scenarios.chain import PROCESSES

ROLES = ("higab", "bygg", "owner", "admin")  # caseworker, supplier, process owner, administrator


@pytest.fixture
def case(call):
    started = call("POST", "/api/v1/instances", "higab", json={
        "process": "procurement", "business_key": "UPH-1",
        "data": {"procurement_id": "UPH-1", "buyer_organisation": "Higab"}}).json
    task = call("GET", "/api/v1/tasks", "higab").json["items"][0]
    return {"instance": started["id"], "task": task["id"]}


MATRIX = [  # method, path, body, expected status for higab, bygg, owner, admin
    ("GET", "/api/v1/processes", None, (200, 200, 200, 200)),
    ("POST", "/api/v1/processes", "xml", (403, 403, 201, 403)),
    ("GET", "/api/v1/instances", None, (200, 200, 200, 200)),
    ("POST", "/api/v1/instances", {"process": "target_group", "data": {
        "participant_id": "P-1", "procurement_id": "UPH-1", "case_owner": "Higab", "district": "Angered",
        "coordination_association": "Samordningsförbundet Göteborg Nordost"}}, (201, 403, 403, 201)),
    # past the role check, the start form wants a published procurement (none is, here): 422
    ("POST", "/api/v1/instances", {"process": "supplier", "data": {"procurement_id": "UPH-1"}},
     (403, 422, 403, 422)),
    ("GET", "/api/v1/instances/{instance}", None, (200, 404, 404, 200)),
    ("POST", "/api/v1/instances/{instance}/suspend", None, (403, 403, 403, 200)),
    ("GET", "/api/v1/tasks", None, (200, 200, 403, 200)),
    ("GET", "/api/v1/tasks/{task}", None, (200, 404, 404, 200)),
    ("POST", "/api/v1/tasks/{task}/claim", None, (200, 404, 404, 403)),
    ("POST", "/api/v1/messages", {"name": "x", "correlation": {}}, (403, 403, 403, 202)),
    ("GET", "/api/v1/messages", None, (403, 403, 403, 200)),
    ("GET", "/api/v1/chains/UPH-1", None, (200, 404, 404, 200)),
    ("GET", "/api/v1/reports/follow-up", None, (200, 200, 200, 200)),
]


@pytest.mark.parametrize("method, path, body, expected", MATRIX, ids=[f"{m} {p}" for m, p, _b, _e in MATRIX])
@pytest.mark.parametrize("role_index", range(len(ROLES)), ids=ROLES)
def test_matrix(call, case, method, path, body, expected, role_index):
    kwargs = {}
    if body == "xml":
        xml = (PROCESSES / "supplier.bpmn").read_bytes().replace(b"Numrera", b"Numrera om")
        kwargs = {"data": xml, "content_type": "application/xml"}
    elif body is not None:
        kwargs = {"json": body}
    response = call(method, path.format(**case), ROLES[role_index], **kwargs)
    assert response.status_code == expected[role_index], response.get_data(as_text=True)
