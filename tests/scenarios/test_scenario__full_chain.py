"""One procurement, two bidders, three participants: the whole chain of Göteborg's model.

Each task is completed by a user of the organisation its lane resolves to; time moves by the
clock and the sweep. At the end every instance is completed and no message is undelivered.
"""
import json

import pytest

from engine.commands import Actor, CompleteTask
from goteborg.reports import follow_up as follow_up_figures

from .chain import Chain

HIGAB, SUPPORT, AF, FK = "Higab", "Upphandlingsbolaget", "Arbetsförmedlingen", "Försäkringskassan"
VUX, NORDOST = "Vuxenutbildningsförvaltningen", "Samordningsförbundet Göteborg Nordost"
PROPOSE = {"matching_outcome": "propose"}
UPH = "UPH-2026-001"


@pytest.fixture
def chain(make_engine, clock):
    chain = Chain(make_engine(forms_dir=None), clock)  # the real model and its forms
    chain.deploy_model()
    return chain


def participant(chain, pid, case_owner, district, target_group, gender):
    instance = chain.start("target_group", pid, participant_id=pid, procurement_id=UPH, case_owner=case_owner,
                           district=district, coordination_association=NORDOST)
    chain.complete(instance, "identify", case_owner, {"target_group": target_group, "gender": gender,
                                                      "birth_year": 1999})
    return instance


def test_full_chain(chain):
    c = chain
    c.at(2026, 1, 5)
    procurement = c.start("procurement", UPH, procurement_id=UPH, buyer_organisation=HIGAB)
    c.complete(procurement, "register", HIGAB, {
        "title": "Fastighetsskötsel Angered", "kind": "service", "estimated_value_msek": 30,
        "contract_start": "2026-04-01", "duration_months": 24, "estimated_workers": 6,
        "framework_agreement": False})
    c.complete(procurement, "needs_inventory", SUPPORT, {"competences": [
        {"competence": "Fastighetsskötare", "level": "entry", "count": 2, "needed_by": "2026-05-01"}]})

    anna = participant(c, "P-001", "Angered", "Angered", "young", "woman")
    bashir = participant(c, "P-002", AF, "Västra Hisingen", "born_abroad", "man")
    cecilia = participant(c, "P-003", "Angered", "Angered", "disability", "woman")
    for instance in (anna, bashir, cecilia):
        assert c.engine.queries.instance(instance)["waiting_for"][0]["message"] == "requirement_decided"

    c.complete(procurement, "requirement", HIGAB, {
        "requirement_kind": "binding", "places": 2, "required_months": 24, "matching_body": SUPPORT})
    # One message, three receivers.
    [requirement] = c.engine.queries.messages(name="requirement_decided").items
    assert requirement.status == "retained"  # delivered, and kept for a participant identified later
    receivers = {link["instance_id"] for link in c.engine.queries.instance(procurement)["linked"]
                 if link["message"] == "requirement_decided"}
    assert receivers == {anna, bashir, cecilia}
    for instance in (anna, bashir, cecilia):
        assert c.elements(instance) == ["assess"]

    # The bidders bid before the tender is published: their messages wait in the buffer.
    bygg = c.start("supplier", "UPH-2026-001/S1", procurement_id=UPH, supplier_id="S1", supplier_name="Bygg AB")
    stad = c.start("supplier", "UPH-2026-001/S2", procurement_id=UPH, supplier_id="S2", supplier_name="Städ AB")
    c.complete(bygg, "bid", "Bygg AB", {"bid_reference": "A-17"})
    c.complete(stad, "bid", "Städ AB", {"bid_reference": "B-3"})
    assert c.engine.queries.messages(name="bid_submitted", status="buffered").total == 2
    c.complete(procurement, "publish", HIGAB, {"published_on": "2026-01-20", "tender_deadline": "2026-02-20"})
    assert c.engine.queries.messages(name="bid_submitted", status="delivered").total == 2
    assert [b["supplier_id"] for b in c.data(procurement)["bids"]] == ["S1", "S2"]

    c.at(2026, 2, 21)
    c.complete(procurement, "award", HIGAB, {"awarded_supplier_id": "S1", "contract_id": "AVT-88"})
    assert c.status(stad) == "completed"
    assert c.data(stad)["award"]["awarded"] is False  # it ended at "Ej tilldelad"
    assert c.data(bygg)["award"]["awarded"] is True

    c.at(2026, 3, 4)  # the standstill period is over
    c.complete(procurement, "contract", HIGAB, {"signed_on": "2026-03-04"})
    c.complete(procurement, "start_meeting", SUPPORT, {"fulfilment_date": "2027-04-01",
                                                       "follow_up_plan": "Månadsvis uppföljning"})
    c.complete(bygg, "first_meeting", SUPPORT, {"met_on": "2026-03-04", "contact_person": "Kim"})
    c.complete(bygg, "recruitment_need", "Bygg AB", {"vacancies": [
        {"title": "Fastighetsskötare", "positions": 1, "form": "employment", "start_date": "2026-10-15",
         "district": "Västra Hisingen"},
        {"title": "Lokalvårdare", "positions": 1, "form": "internship", "start_date": "2026-10-15",
         "district": "Angered"}]})

    for instance, owner in ((anna, "Angered"), (bashir, AF), (cecilia, "Angered")):
        c.complete(instance, "assess", owner, {"continue_programme": True})
    c.complete(cecilia, "work_ability", FK, {"work_ability_percent": 75})
    for instance in (anna, bashir, cecilia):
        c.complete(instance, "coordinate", NORDOST, {"plan": "Basutbildning och språkstöd"})

    def month(year, mon, day=5):
        """Time passes: the supplier reports each month, Stödfunktionen takes up idle vacancies."""
        c.at(year, mon, day)
        for element, organisation, data in (
                ("monthly_report", "Bygg AB", {"months_delivered": months[0], "active_placements": months[1]}),
                ("vacancy_escalated", SUPPORT, {"action": "Kontakt med Arbetsförmedlingen"})):
            for task in [t for t in c.open_tasks(bygg) if t.element_id == element]:
                c.engine.execute(CompleteTask(task.id, data, Actor("user", organisation)))

    months = [0, 0]
    for mon in range(4, 10):
        month(2026, mon)
    for instance in (anna, bashir, cecilia):
        c.complete(instance, "training", VUX, {"training_completed": True, "training_months": 6})
    form = c.engine.queries.task_form(c.task(anna, "match").id)
    # Nobody placed yet: the district with the larger share of the key first (Angered 16 %, Västra
    # Hisingen 11 %), each vacancy described so the caseworker knows it.
    assert form["properties"]["vacancy_id"]["enum"] == [f"{UPH}/S1-2", f"{UPH}/S1-1"]
    assert form["properties"]["vacancy_id"]["x-kedja-labels"] == [
        "Lokalvårdare – Bygg AB – Angered (16 procentenheter under fördelningsnyckeln) – praktik – "
        "start 2026-10-15 – upphandling Fastighetsskötsel Angered (UPH-2026-001), deltagarens",
        "Fastighetsskötare – Bygg AB – Västra Hisingen (11 procentenheter under fördelningsnyckeln) – "
        "anställning – start 2026-10-15 – upphandling Fastighetsskötsel Angered (UPH-2026-001), deltagarens"]
    c.complete(anna, "match", SUPPORT, {**PROPOSE, "vacancy_id": f"{UPH}/S1-1",
                                        "cv_summary": "Körkort B, två års erfarenhet"})
    c.complete(bashir, "match", SUPPORT, {**PROPOSE, "vacancy_id": f"{UPH}/S1-2",
                                          "cv_summary": "Lokalvård, svenska B1"})
    empty = c.engine.queries.task_form(c.task(cecilia, "match").id)["properties"]["vacancy_id"]
    assert empty["enum"] == [] and "inga lediga tjänster just nu" in empty["description"]
    c.complete(cecilia, "match", SUPPORT, {"matching_outcome": "wait"})  # no vacancy: wait and match again
    assert "match" not in c.elements(cecilia)

    # No placement by 1 October (six months after contract start): a correction request.
    month(2026, 10, 2)
    assert c.data(procurement)["placements"] == []
    c.complete(procurement, "request_correction", HIGAB, {"deviation": "Ingen placering inom sex månader",
                                                          "correction_deadline": "2026-11-01"})
    c.complete(bygg, "answer_correction", "Bygg AB", {"measures": "Två kandidater intervjuas vecka 41"})
    c.complete(procurement, "review_answer", HIGAB, {"remedied": True})

    def decide(participant_id, data):
        """The supplier's decision on the candidate proposed by `participant_id`."""
        for task in c.open_tasks(bygg):
            if task.element_id == "decide_candidate" and \
                    c.engine.queries.task_data(task.id)["candidate"]["participant_id"] == participant_id:
                c.engine.execute(CompleteTask(task.id, data, Actor("user", "Bygg AB")))
                return task
        raise AssertionError(f"no decision open for {participant_id}: {c.describe(bygg)}")

    c.at(2026, 10, 5)
    for proposal in c.engine.queries.messages(name="candidate_proposal").items:  # CV-level data only
        assert json.loads(proposal.payload).keys() == {"vacancy_id", "participant_id", "cv"}
    decide("P-001", {"accepted": True, "placement_form": "employment", "placement_start": "2026-10-15",
                     "placement_end": "2027-10-14", "extent_percent": 100})
    decide("P-002", {"accepted": True, "placement_form": "internship", "placement_start": "2026-10-15",
                     "placement_end": "2027-04-14", "extent_percent": 75})
    assert c.elements(anna) == ["placement"] and c.elements(bashir) == ["placement"]
    assert [p["participant_id"] for p in c.data(procurement)["placements"]] == ["P-001", "P-002"]

    def follow_up(participant_id, data):
        for task in c.open_tasks(bygg):
            if task.element_id == "follow_placement" and \
                    c.engine.queries.task_data(task.id)["candidate"]["participant_id"] == participant_id:
                c.engine.execute(CompleteTask(task.id, data, Actor("user", "Bygg AB")))
                return
        raise AssertionError(f"no follow-up open for {participant_id}: {c.describe(bygg)}")

    # Bashir drops out; the vacancy is open again and Cecilia is proposed (a replacement round).
    months[:] = [2, 2]
    month(2026, 11)
    follow_up("P-002", {"outcome": "dropout", "ended_on": "2026-11-20", "end_reason": "Flyttat"})
    assert c.elements(bashir) == ["after_dropout"]
    c.complete(bashir, "after_dropout", AF, {"next_step": "end"})
    assert c.data(procurement)["dropouts"][0]["participant_id"] == "P-002"
    form = c.engine.queries.task_form(c.task(cecilia, "match").id)
    assert form["properties"]["vacancy_id"]["enum"] == [f"{UPH}/S1-2"]
    # Two placements so far, one in each district: Angered has 50 % against its 16 %.
    assert "Angered (34 procentenheter över fördelningsnyckeln)" in form["properties"]["vacancy_id"][
        "x-kedja-labels"][0]
    c.complete(cecilia, "match", SUPPORT, {**PROPOSE, "vacancy_id": f"{UPH}/S1-2",
                                           "cv_summary": "Lokalvård, anpassad arbetstid"})
    decide("P-003", {"accepted": True, "placement_form": "internship", "placement_start": "2026-12-01",
                     "placement_end": "2027-05-31", "extent_percent": 75})

    months[:] = [6, 2]
    month(2026, 12)
    month(2027, 1)
    # The outcome has one source, the supplier's follow-up: the matching body only notes its support.
    c.complete(anna, "placement", SUPPORT, {"followed_up_on": "2027-01-05", "support_notes": "Handledarsamtal"})
    assert c.data(anna).get("outcome") is None
    follow_up("P-001", {"outcome": "completed"})
    follow_up("P-003", {"outcome": "completed", "employed_after": False})
    for instance in (anna, cecilia):
        c.complete(instance, "certificate", SUPPORT, {"certificate_issued_on": "2027-01-05",
                                                      "certificate_issued_by": "Bygg AB"})
    assert (c.data(anna)["outcome"], c.data(cecilia)["outcome"]) == ("employment", "internship")
    months[:] = [12, 0]
    for mon in (2, 3):
        month(2027, mon)
    assert c.data(procurement)["months_delivered"] == 12

    # The fulfilment date: 12 of 24 months delivered, a shortfall -> correction -> sanction.
    month(2027, 4, 2)
    assert c.data(procurement)["shortfall_months"] == 12
    c.complete(procurement, "request_correction", HIGAB, {"deviation": "12 av 24 månader levererade",
                                                          "correction_deadline": "2027-04-20"})
    c.complete(bygg, "answer_correction", "Bygg AB", {"measures": "Förlänger placeringarna"})
    c.complete(procurement, "review_answer", HIGAB, {"remedied": False})
    c.complete(procurement, "sanction", HIGAB, {"sanction_kind": "penalty", "sanction_amount_sek": 120_000})
    c.complete(bygg, "note_sanction", "Bygg AB", {"acknowledged": True})
    month(2027, 4, 3)  # the fulfilment date was handled: the final report
    c.complete(procurement, "final_report", SUPPORT, {"outcome": "partly", "summary": "Två av två platser"})
    month(2027, 4, 4)

    instances = {i.business_key: i.status for i in c.engine.queries.instances(per_page=200).items}
    assert instances == {UPH: "completed", "UPH-2026-001/S1": "completed", "UPH-2026-001/S2": "completed",
                         "P-001": "completed", "P-002": "completed", "P-003": "completed"}, [
        c.describe(i.id) for i in c.engine.queries.instances(per_page=200).items if i.status != "completed"]
    undelivered = [(m.name, m.status) for m in c.engine.queries.messages(per_page=200).items
                   if m.status not in ("delivered", "started", "retained")]
    # The closing notice after the award was kept for late bidders; none came, and it expired.
    assert undelivered == [("procurement_closed", "expired")]

    # The follow-up figures, against what was counted by hand from the story above.
    figures = follow_up_figures(c.engine, c.engine.config.settings["socio_economic_values"]).as_dict()
    assert (figures["service_procurements"], figures["service_with_requirement"]) == (1, 1)
    assert (figures["share_with_requirement"], figures["share_goal"]) == (1.0, 0.5)
    assert figures["share_by_organisation"] == {HIGAB: {"services": 1, "with_requirement": 1, "share": 1.0}}
    assert (figures["procurements_screened"], figures["procurements_candidates"]) == (1, 1)
    assert figures["requirements_by_kind"] == {"dialogue": 0, "binding": 1, "reserved": 0}
    assert figures["people_by_outcome"] == {"employment": 1, "apprenticeship": 0, "trainee": 0,
                                            "internship": 1, "other_occupation": 0}
    assert figures["people_by_target_group"] == {"disability": {"internship": 1}, "young": {"employment": 1}}
    assert figures["people_by_gender"] == {"woman": {"employment": 1, "internship": 1}}
    assert figures["people_by_district"] == {"Angered": {"employment": 1, "internship": 1}}
    # Placements by the vacancy's district: Anna in Västra Hisingen, Bashir and then Cecilia in
    # Angered (a dropout's place still counts); the default key gives Angered 16 %, Västra Hisingen 11 %.
    by_district = figures["placements_by_district"]
    assert by_district["Angered"] == {"placements": 2, "share": 0.6667, "key_share": 0.16, "difference": 0.5067}
    assert by_district["Västra Hisingen"] == {"placements": 1, "share": 0.3333, "key_share": 0.11,
                                              "difference": 0.2233}
    assert by_district["Lundby"] == {"placements": 0, "share": 0.0, "key_share": 0.09, "difference": -0.09}
    assert len(by_district) == 10 and sum(d["placements"] for d in by_district.values()) == 3
    assert figures["contracts"] == [{
        "procurement_id": UPH, "title": "Fastighetsskötsel Angered", "supplier_id": "S1", "required_months": 24,
        "months_delivered": 12, "first_placement_within_6_months": False, "placements": 3,
        # Bashir served 36 of 181 agreed days: under 75 %, so his placement does not count.
        "placements_counting_75_percent_rule": 2, "shortfall_months": 12, "sanction": "penalty"}]
    assert figures["lead_time_days_by_phase"] == {
        "identifiering": 0.0, "utredning": 58.0, "träning": 185.0,
        "matchning": round(61 / 3, 1),  # Cecilia waited 9-05 .. 11-05 for the reopened vacancy
        "praktik_anställning": round((92 + 31 + 61) / 3, 1), "anställning": None}
    assert figures["dropout_by_phase"]["praktik_anställning"] == {"entered": 3, "dropouts": 1, "rate": 0.3333}
    assert figures["dropout_by_phase"]["träning"] == {"entered": 3, "dropouts": 0, "rate": 0.0}
    assert figures["socio_economic_value_sek"] == 200_000 + 60_000
    assert (figures["certificates_issued"], figures["employment_after_placement"]) == (2, 0)
    assert (figures["participants_released"], figures["bidders_released"]) == (0, 0)
