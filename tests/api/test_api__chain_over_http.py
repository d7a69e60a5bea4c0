"""A whole procurement chain over HTTP only, each task by a user of the organisation its lane
names: one procurement, one bidder, one participant into employment; the follow-up closes.
(Time moves by the clock and the sweep, as the service's scheduler would move it.)"""
from datetime import datetime, timezone

from engine.commands import Sweep

UPH = "UPH-7"


def test_a_procurement_chain_over_http(call, engine, clock):
    def at(*day):
        clock.set(datetime(*day, 9, 0, tzinfo=timezone.utc))
        while engine.execute(Sweep()).timers_fired:
            pass

    def do(user, element, data=None):
        """Complete the user's organisation's open task `element` (exactly one must be open)."""
        tasks = [t for t in call("GET", "/api/v1/tasks?per_page=200", user).json["items"]
                 if t["element_id"] == element]
        assert len(tasks) == 1, (user, element, tasks)
        response = call("POST", f"/api/v1/tasks/{tasks[0]['id']}/complete", user, json={"data": data or {}})
        assert response.status_code == 200, response.json
        return tasks[0]

    def start(user, process, key, data):
        body = {"process": process, "data": data, **({"business_key": key} if key else {})}
        response = call("POST", "/api/v1/instances", user, json=body)
        assert response.status_code == 201, response.json
        return response.json["id"]

    at(2026, 1, 5)
    start("higab", "procurement", UPH, {"procurement_id": UPH, "buyer_organisation": "Higab"})
    do("higab", "register", {"title": "Grönyteskötsel", "kind": "service", "estimated_value_msek": 25,
                             "contract_start": "2026-04-01", "duration_months": 12, "estimated_workers": 3,
                             "framework_agreement": False})
    do("support", "needs_inventory", {"competences": [
        {"competence": "Trädgårdsarbetare", "level": "entry", "count": 1, "needed_by": "2026-05-01"}]})
    start("angered", "target_group", "P-1", {"participant_id": "P-1", "procurement_id": UPH, "case_owner": "Angered",
                                             "district": "Angered",
                                             "coordination_association": "Samordningsförbundet Göteborg Nordost"})
    do("angered", "identify", {"target_group": "young", "gender": "man", "birth_year": 2003})
    do("higab", "requirement", {"requirement_kind": "binding", "places": 1, "required_months": 12,
                                "matching_body": "Upphandlingsbolaget"})
    do("higab", "publish", {"published_on": "2026-01-05", "tender_deadline": "2026-02-01"})
    # The supplier bids as itself: its id and name come from its account, not from the data.
    start("bygg", "supplier", None, {"procurement_id": UPH, "supplier_id": "S1", "supplier_name": "Städ AB"})
    do("bygg", "bid", {"bid_reference": "A-1"})

    at(2026, 2, 2)
    award = [t for t in call("GET", "/api/v1/tasks", "higab").json["items"] if t["element_id"] == "award"][0]
    choices = call("GET", f"/api/v1/tasks/{award['id']}", "higab").json["form"]["properties"]["awarded_supplier_id"]
    assert (choices["enum"], choices["x-kedja-labels"]) == (["Bygg AB"], ["Bygg AB – anbud A-1"])
    do("higab", "award", {"awarded_supplier_id": "Bygg AB", "contract_id": "AVT-7"})
    at(2026, 2, 13)
    do("higab", "contract", {"signed_on": "2026-02-13"})
    do("support", "start_meeting", {"fulfilment_date": "2026-12-01", "follow_up_plan": "Månadsvis"})
    do("support", "first_meeting", {"met_on": "2026-02-13", "contact_person": "Kim"})
    do("bygg", "recruitment_need", {"vacancies": [{"title": "Trädgårdsarbetare", "positions": 1,
                                                   "form": "employment", "start_date": "2026-06-01"}]})
    do("angered", "assess", {"continue_programme": True})
    do("nordost", "coordinate", {"plan": "Basutbildning"})
    do("vux", "training", {"training_completed": True, "training_months": 2})

    match = [t for t in call("GET", "/api/v1/tasks", "support").json["items"] if t["element_id"] == "match"][0]
    form = call("GET", f"/api/v1/tasks/{match['id']}", "support").json["form"]
    assert form["properties"]["vacancy_id"]["enum"] == [f"{UPH}/Bygg AB-1"]
    assert form["properties"]["vacancy_id"]["x-kedja-labels"] == [
        # What the caseworker recognises: the job, the employer, the district (none given here),
        # the kind of place, the start, and the participant's own procurement by name.
        f"Trädgårdsarbetare – Bygg AB – stadsdel ej angiven – anställning – start 2026-06-01 – "
        f"upphandling Grönyteskötsel ({UPH}), deltagarens"]
    do("support", "match", {"matching_outcome": "propose", "vacancy_id": f"{UPH}/Bygg AB-1",
                            "cv_summary": "Körkort, två års erfarenhet"})
    decision = [t for t in call("GET", "/api/v1/tasks", "bygg").json["items"] if t["element_id"] == "decide_candidate"]
    seen = call("GET", f"/api/v1/tasks/{decision[0]['id']}", "bygg").json["data"]["candidate"]
    assert seen == {"vacancy_id": f"{UPH}/Bygg AB-1", "participant_id": "P-1", "cv": "Körkort, två års erfarenhet"}
    do("bygg", "decide_candidate", {"accepted": True, "placement_form": "employment", "placement_start": "2026-06-01",
                                    "placement_end": "2027-05-31", "extent_percent": 100})
    at(2026, 6, 2)
    do("support", "placement", {"followed_up_on": "2026-06-02"})
    do("bygg", "follow_placement", {"outcome": "completed"})  # the outcome's one source
    do("support", "certificate", {"certificate_issued_on": "2026-06-02", "certificate_issued_by": "Bygg AB"})

    at(2026, 11, 20)  # the months are reported before the fulfilment date (no shortfall)
    for task in call("GET", "/api/v1/tasks?per_page=200", "bygg").json["items"]:
        if task["element_id"] == "monthly_report":
            call("POST", f"/api/v1/tasks/{task['id']}/complete", "bygg",
                 json={"data": {"months_delivered": 12, "active_placements": 1}})
    at(2026, 12, 2)
    for task in call("GET", "/api/v1/tasks?per_page=200", "bygg").json["items"]:
        if task["element_id"] == "monthly_report":
            call("POST", f"/api/v1/tasks/{task['id']}/complete", "bygg",
                 json={"data": {"months_delivered": 12, "active_placements": 1}})
    do("support", "final_report", {"outcome": "fulfilled"})
    for task in call("GET", "/api/v1/tasks?per_page=200", "bygg").json["items"]:
        if task["element_id"] == "monthly_report":
            call("POST", f"/api/v1/tasks/{task['id']}/complete", "bygg",
                 json={"data": {"months_delivered": 12, "active_placements": 1}})

    chain = call("GET", f"/api/v1/chains/{UPH}", "admin").json
    statuses = [chain["procurement"]["status"]] + [m["status"] for m in chain["suppliers"] + chain["participants"]]
    assert statuses == ["completed", "completed", "completed"], chain
    # The supplier sees its own instance only, and no participant.
    assert call("GET", f"/api/v1/chains/{UPH}", "bygg").status_code == 404
    assert call("GET", "/api/v1/instances", "bygg").json["total"] == 1
