"""The chain page is open to the procurement's matching body (chosen in the requirement
decision) before it has any task there: Arbetsförmedlingen matches for Higab's procurement."""
from datetime import datetime, timezone

from engine.commands import Sweep

UPH = "UPH-9"


def test_the_matching_body_sees_the_chain(call, engine, clock):
    clock.set(datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc))
    engine.execute(Sweep())

    def do(user, element, data):
        tasks = call("GET", "/api/v1/tasks?per_page=200", user).json["items"]
        [task] = [t for t in tasks if t["element_id"] == element]
        assert call("POST", f"/api/v1/tasks/{task['id']}/complete", user, json={"data": data}).status_code == 200

    assert call("POST", "/api/v1/instances", "higab", json={
        "process": "procurement", "data": {"procurement_id": UPH, "buyer_organisation": "Higab"},
        "business_key": UPH}).status_code == 201
    do("higab", "register", {"title": "Grönyteskötsel", "kind": "service", "estimated_value_msek": 25,
                             "contract_start": "2026-04-01", "duration_months": 12, "estimated_workers": 3,
                             "framework_agreement": False})
    do("support", "needs_inventory", {"competences": [
        {"competence": "Trädgårdsarbetare", "level": "entry", "count": 1, "needed_by": "2026-05-01"}]})
    assert call("GET", f"/api/v1/chains/{UPH}", "af").status_code == 404  # not yet its procurement
    do("higab", "requirement", {"requirement_kind": "binding", "places": 1, "required_months": 12,
                                "matching_body": "Arbetsförmedlingen"})
    chain = call("GET", f"/api/v1/chains/{UPH}", "af")
    assert chain.status_code == 200, chain.json
    assert chain.json["procurement"]["business_key"] == UPH
    assert call("GET", f"/api/v1/chains/{UPH}", "bygg").status_code == 404  # a supplier without a bid
