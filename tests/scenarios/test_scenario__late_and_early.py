"""Where timing differs from the happy path: procurements that end early release their
participants and bidders at once, a participant or bidder that comes late learns what was
decided, bids sent before publication are kept, an internship leads on to employment with a
certificate, and a placement's outcome has one source (the supplier), whatever the order.

The follow-up figures at the end of each test are counted by hand from the story."""
import pytest

from engine.commands import Actor, CompleteTask
from goteborg.chain import chain as procurement_chain
from goteborg.reports import follow_up as follow_up_figures

from .chain import Chain

HIGAB, SUPPORT, AF = "Higab", "Upphandlingsbolaget", "Arbetsförmedlingen"
VUX, NORDOST = "Vuxenutbildningsförvaltningen", "Samordningsförbundet Göteborg Nordost"
COMPETENCES = {"competences": [{"competence": "Lokalvårdare", "level": "entry", "count": 1,
                                "needed_by": "2026-03-01"}]}


@pytest.fixture
def chain(make_engine, clock):
    chain = Chain(make_engine(forms_dir=None), clock)  # the real model and its forms
    chain.deploy_model()
    return chain


def register(c, uph, months=24, workers=6):
    instance = c.start("procurement", uph, procurement_id=uph, buyer_organisation=HIGAB)
    c.complete(instance, "register", HIGAB, {
        "title": f"Upphandling {uph}", "kind": "service", "estimated_value_msek": 10,
        "contract_start": "2026-04-01", "duration_months": months, "estimated_workers": workers,
        "framework_agreement": False})
    return instance


def participant(c, pid, uph):
    instance = c.start("target_group", pid, participant_id=pid, procurement_id=uph, case_owner=AF,
                       district="Angered", coordination_association=NORDOST)
    c.complete(instance, "identify", AF, {"target_group": "young", "gender": "woman", "birth_year": 2000})
    return instance


def bidder(c, uph, sid):
    instance = c.start("supplier", f"{uph}/{sid}", procurement_id=uph, supplier_id=sid, supplier_name="Bygg AB")
    c.complete(instance, "bid", "Bygg AB", {"bid_reference": f"A-{sid}"})
    return instance


def decide(c, uph, kind):
    c.complete(c.instance_of(uph), "requirement", HIGAB, {
        "requirement_kind": kind, "places": 2, "required_months": 12, "matching_body": SUPPORT})


def test_procurements_that_end_early_release_their_participants_and_bidders(chain):
    c = chain
    c.instance_of = lambda key: next(i.id for i in c.engine.queries.instances(per_page=50).items
                                     if i.business_key == key)
    c.at(2026, 1, 5)
    # A: too short to be a candidate. Its participant waits, a supplier bids before anything is published.
    early_participant = participant(c, "P-A1", "UPH-A")
    early_bid = bidder(c, "UPH-A", "S1")
    a = register(c, "UPH-A", months=2)
    assert c.status(a) == "completed"
    assert c.status(early_participant) == "completed"
    assert c.data(early_participant)["requirement"]["reason"] == "not_candidate"
    assert c.status(early_bid) == "completed"  # refused with a reason, not left waiting six months
    assert c.data(early_bid)["tender_closed"]["reason"] == "not_candidate"
    # Who comes after the end learns it at once from the kept messages.
    late_participant = participant(c, "P-A2", "UPH-A")
    late_bid = bidder(c, "UPH-A", "S2")
    assert c.status(late_participant) == "completed" and c.status(late_bid) == "completed"

    # B: a candidate, but the buyer sets no requirement.
    b = register(c, "UPH-B")
    released = participant(c, "P-B1", "UPH-B")
    c.complete(b, "needs_inventory", SUPPORT, COMPETENCES)
    decide(c, "UPH-B", "none")
    assert c.status(b) == "completed" and c.status(released) == "completed"

    # C: a binding requirement, published, no bid by the deadline.
    cc = register(c, "UPH-C")
    c.complete(cc, "needs_inventory", SUPPORT, COMPETENCES)
    decide(c, "UPH-C", "binding")
    late = participant(c, "P-C1", "UPH-C")  # identified after the decision: learns it at once
    assert c.elements(late) == ["assess"]
    assert c.data(late)["requirement"]["requirement_kind"] == "binding"
    c.complete(cc, "publish", HIGAB, {"published_on": "2026-01-05", "tender_deadline": "2026-02-01T12:00"})
    c.at(2026, 2, 2)
    assert c.status(cc) == "completed"
    too_late = bidder(c, "UPH-C", "S3")  # after the tender closed without bids
    assert c.status(too_late) == "completed"
    assert c.data(too_late)["tender_closed"]["reason"] == "no_bids"

    figures = follow_up_figures(c.engine, c.engine.config.settings["socio_economic_values"]).as_dict()
    # Hand count: P-A1, P-A2, P-B1 released; S1, S2 (UPH-A) and S3 (UPH-C) released.
    assert (figures["participants_released"], figures["bidders_released"]) == (3, 3)
    assert figures["requirements_by_kind"] == {"dialogue": 0, "binding": 1, "reserved": 0}
    assert (figures["procurements_screened"], figures["procurements_candidates"]) == (3, 2)


def test_early_bid_internship_to_employment_and_a_dropout_right_after_the_follow_up(chain):
    c = chain
    c.instance_of = lambda key: next(i.id for i in c.engine.queries.instances(per_page=50).items
                                     if i.business_key == key)
    uph = "UPH-D"
    c.at(2026, 1, 5)
    d = register(c, uph)
    early = bidder(c, uph, "S1")  # before publication: kept for the tender
    c.complete(d, "needs_inventory", SUPPORT, COMPETENCES)
    decide(c, uph, "binding")
    anna, bashir = participant(c, "P-D1", uph), participant(c, "P-D2", uph)
    c.complete(d, "publish", HIGAB, {"published_on": "2026-01-06", "tender_deadline": "2026-02-01T12:00"})
    assert [b["supplier_id"] for b in c.data(d)["bids"]] == ["S1"]
    c.at(2026, 2, 2)
    c.complete(d, "award", HIGAB, {"awarded_supplier_id": "S1", "contract_id": "AVT-D"})
    late = bidder(c, uph, "S9")  # after the award: its bid was never registered
    assert c.status(late) == "completed" and c.data(late)["tender_closed"]["reason"] == "awarded"
    c.at(2026, 2, 13)
    c.complete(d, "contract", HIGAB, {"signed_on": "2026-02-13"})
    c.complete(d, "start_meeting", SUPPORT, {"fulfilment_date": "2027-04-01", "follow_up_plan": "Månadsvis"})
    c.complete(early, "first_meeting", SUPPORT, {"met_on": "2026-02-13", "contact_person": "Kim"})
    c.complete(early, "recruitment_need", "Bygg AB", {"vacancies": [
        {"title": "Lokalvårdare", "positions": 2, "form": "internship", "start_date": "2026-03-01"}]})
    for person, vacancy in ((anna, f"{uph}/S1-1"), (bashir, f"{uph}/S1-2")):
        c.complete(person, "assess", AF, {"continue_programme": True})
        c.complete(person, "coordinate", NORDOST, {"plan": "Basutbildning"})
        c.complete(person, "training", VUX, {"training_completed": True, "training_months": 1})
        c.complete(person, "match", SUPPORT, {"matching_outcome": "propose", "vacancy_id": vacancy,
                                              "cv_summary": "Lokalvård"})

    def supplier_task(element, participant_id, data):
        for task in c.open_tasks(early):
            if task.element_id == element and \
                    c.engine.queries.task_data(task.id)["candidate"]["participant_id"] == participant_id:
                return c.engine.execute(CompleteTask(task.id, data, Actor("user", "Bygg AB")))
        raise AssertionError(f"no {element} for {participant_id}: {c.describe(early)}")

    for pid in ("P-D1", "P-D2"):
        supplier_task("decide_candidate", pid, {
            "accepted": True, "placement_form": "internship", "placement_start": "2026-03-01",
            "placement_end": "2026-08-31", "extent_percent": 100})
    c.at(2026, 3, 2)
    # Bashir: the matching body notes its follow-up, and the supplier reports a dropout right after.
    c.complete(bashir, "placement", SUPPORT, {"followed_up_on": "2026-03-02"})
    supplier_task("follow_placement", "P-D2", {"outcome": "dropout", "ended_on": "2026-03-02",
                                               "end_reason": "Avbröt praktiken"})
    assert c.elements(bashir) == ["after_dropout"]  # not lost, whatever the order
    c.complete(bashir, "after_dropout", AF, {"next_step": "end"})
    # Anna: the internship leads on to employment (phase 6), with a certificate first.
    c.at(2026, 9, 1)
    supplier_task("follow_placement", "P-D1", {"outcome": "completed", "employed_after": True})
    assert c.elements(anna) == ["certificate"]
    c.complete(anna, "certificate", SUPPORT, {"certificate_issued_on": "2026-09-01",
                                              "certificate_issued_by": "Bygg AB, handledare Kim"})
    task = c.task(anna, "employment")
    assert task.organisation == SUPPORT
    c.complete(anna, "employment", SUPPORT, {"employment_start": "2026-09-01", "employment_kind": "permanent"})
    assert c.status(anna) == "completed" and c.status(bashir) == "completed"
    assert (c.data(anna)["outcome"], c.data(anna)["placement_form"]) == ("employment", "internship")

    # Cecilia, earmarked for another procurement, takes Bashir's reopened place: the chain page of
    # UPH-D lists every participant placed in it, wherever they were earmarked.
    e = register(c, "UPH-E")
    c.complete(e, "needs_inventory", SUPPORT, COMPETENCES)
    decide(c, "UPH-E", "binding")
    cecilia = participant(c, "P-E1", "UPH-E")
    c.complete(cecilia, "assess", AF, {"continue_programme": True})
    c.complete(cecilia, "coordinate", NORDOST, {"plan": "Basutbildning"})
    c.complete(cecilia, "training", VUX, {"training_completed": True, "training_months": 1})
    c.complete(cecilia, "match", SUPPORT, {"matching_outcome": "propose", "vacancy_id": f"{uph}/S1-2",
                                           "cv_summary": "Lokalvård"})
    supplier_task("decide_candidate", "P-E1", {
        "accepted": True, "placement_form": "trainee", "placement_start": "2026-09-15",
        "placement_end": "2027-03-14", "extent_percent": 100})
    members = procurement_chain(c.engine, uph)
    assert {m["business_key"] for m in members["participant"]} == {"P-D1", "P-D2", "P-E1"}

    figures = follow_up_figures(c.engine, c.engine.config.settings["socio_economic_values"]).as_dict()
    # Hand count: Anna employed after her internship (one certificate); Bashir dropped out, no outcome.
    assert figures["people_by_outcome"] == {"employment": 1, "apprenticeship": 0, "trainee": 0,
                                            "internship": 0, "other_occupation": 0}
    assert (figures["certificates_issued"], figures["employment_after_placement"]) == (1, 1)
    # Anna, Bashir and Cecilia (still placed) entered phase 5; Bashir dropped out.
    assert figures["dropout_by_phase"]["praktik_anställning"] == {"entered": 3, "dropouts": 1, "rate": 0.3333}
    assert figures["dropout_by_phase"]["anställning"] == {"entered": 1, "dropouts": 0, "rate": 0.0}
    assert (figures["participants_released"], figures["bidders_released"]) == (0, 1)
    [contract] = figures["contracts"]
    # Three placements; Bashir's ended on day 1 of 183: under 75 %, so Anna's and Cecilia's count.
    assert (contract["placements"], contract["placements_counting_75_percent_rule"]) == (3, 2)
