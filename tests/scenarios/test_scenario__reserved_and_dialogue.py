"""A reserved contract (at least 30 % of the staff from the target groups) and a dialogue
requirement each get a follow-up of their own: no six-month placement rule; at the fulfilment
date the reserved contract's staff share is checked (below 30 %: correction -> sanction), and
Stödfunktionen follows up what the dialogue gave. Figures counted by hand at the end."""
import pytest

from engine.commands import Actor, CompleteTask
from goteborg.reports import follow_up as follow_up_figures

from .chain import Chain

HIGAB, SUPPORT, AF = "Higab", "Upphandlingsbolaget", "Arbetsförmedlingen"
COMPETENCES = {"competences": [{"competence": "Lokalvårdare", "level": "entry", "count": 1,
                                "needed_by": "2026-03-01"}]}


@pytest.fixture
def chain(make_engine, clock):
    chain = Chain(make_engine(forms_dir=None), clock)
    chain.deploy_model()
    return chain


def contract(c, uph, kind):
    """Registered, requirement `kind`, one bidder awarded, contract and start meeting."""
    procurement = c.start("procurement", uph, procurement_id=uph, buyer_organisation=HIGAB)
    c.complete(procurement, "register", HIGAB, {
        "title": f"Upphandling {uph}", "kind": "service", "estimated_value_msek": 10,
        "contract_start": "2026-03-01", "duration_months": 12, "estimated_workers": 10,
        "framework_agreement": False})
    c.complete(procurement, "needs_inventory", SUPPORT, COMPETENCES)
    c.complete(procurement, "requirement", HIGAB, {"requirement_kind": kind, "places": 1, "required_months": 12,
                                                   "matching_body": SUPPORT})
    supplier = c.start("supplier", f"{uph}/S1", procurement_id=uph, supplier_id="S1", supplier_name="Bygg AB")
    c.complete(supplier, "bid", "Bygg AB", {"bid_reference": "A-1"})
    c.complete(procurement, "publish", HIGAB, {"published_on": "2026-01-05", "tender_deadline": "2026-01-20T12:00"})
    return procurement, supplier


def reports(c, supplier, staff_total, staff_target_group):
    for task in [t for t in c.open_tasks(supplier) if t.element_id == "monthly_report"]:
        c.engine.execute(CompleteTask(task.id, {"months_delivered": 0, "active_placements": 0,
                                                "staff_total": staff_total, "staff_target_group": staff_target_group},
                                      Actor("user", "Bygg AB")))


def test_reserved_contracts_and_dialogue_requirements_are_followed_up(chain):
    c = chain
    c.at(2026, 1, 5)
    contracts = {uph: contract(c, uph, kind) for uph, kind in
                 (("UPH-R1", "reserved"), ("UPH-R2", "reserved"), ("UPH-DL", "dialogue"))}
    c.at(2026, 1, 21)
    for uph, (procurement, _supplier) in contracts.items():
        c.complete(procurement, "award", HIGAB, {"awarded_supplier_id": "S1", "contract_id": f"AVT-{uph}"})
    c.at(2026, 2, 1)
    for procurement, supplier in contracts.values():
        c.complete(procurement, "contract", HIGAB, {"signed_on": "2026-02-01"})
        c.complete(procurement, "start_meeting", SUPPORT, {"fulfilment_date": "2026-12-01",
                                                           "follow_up_plan": "Månadsvis"})
        c.complete(supplier, "first_meeting", SUPPORT, {"met_on": "2026-02-01", "contact_person": "Kim"})
        c.complete(supplier, "recruitment_need", "Bygg AB", {"vacancies": [
            {"title": "Lokalvårdare", "positions": 1, "form": "employment", "start_date": "2026-03-01"}]})
    for day in ((2026, 3, 2), (2026, 6, 2), (2026, 9, 2), (2026, 11, 20)):
        c.at(*day)
        reports(c, contracts["UPH-R1"][1], 10, 4)  # 40 %: the rule is met
        reports(c, contracts["UPH-R2"][1], 10, 2)  # 20 %: short
        reports(c, contracts["UPH-DL"][1], 0, 0)
    # No six-month placement check for these kinds: nobody was asked for a correction in September.
    for procurement, _supplier in contracts.values():
        assert "request_correction" not in c.elements(procurement)
        assert c.data(procurement)["first_placement_in_time"] is None

    c.at(2026, 12, 2)  # the fulfilment date
    r1, r2, dl = (contracts[k][0] for k in ("UPH-R1", "UPH-R2", "UPH-DL"))
    assert c.elements(r1) == ["final_report"]
    assert c.elements(r2) == ["request_correction"]  # below 30 %: correction -> remedy -> sanction
    c.complete(r2, "request_correction", HIGAB, {"deviation": "20 % ur målgrupperna, krav 30 %",
                                                 "correction_deadline": "2026-12-15"})
    c.at(2026, 12, 16)  # no answer by the deadline: a sanction decision
    c.complete(r2, "sanction", HIGAB, {"sanction_kind": "penalty", "sanction_amount_sek": 80_000})
    c.at(2026, 12, 17)
    assert c.elements(dl) == ["dialogue_follow_up"]
    c.complete(dl, "dialogue_follow_up", SUPPORT, {"dialogue_held": True, "dialogue_people_hired": 2,
                                                   "dialogue_notes": "Två anställda via Arbetsförmedlingen"})
    for procurement in (r1, r2, dl):
        c.complete(procurement, "final_report", SUPPORT, {"outcome": "partly"})
        assert c.status(procurement) == "completed"

    figures = follow_up_figures(c.engine, c.engine.config.settings["socio_economic_values"]).as_dict()
    assert figures["requirements_by_kind"] == {"dialogue": 1, "binding": 0, "reserved": 2}
    assert figures["reserved_contracts"] == [
        {"procurement_id": "UPH-R1", "staff_share": 0.4, "meets_rule": True},
        {"procurement_id": "UPH-R2", "staff_share": 0.2, "meets_rule": False}]
    assert figures["dialogue_follow_up"] == {"contracts": 1, "followed_up": 1, "dialogue_held": 1, "people_hired": 2}
    by_id = {contract["procurement_id"]: contract for contract in figures["contracts"]}
    assert (by_id["UPH-R2"]["sanction"], by_id["UPH-R1"]["sanction"], by_id["UPH-DL"]["sanction"]) == (
        "penalty", None, None)
    assert by_id["UPH-R2"]["shortfall_months"] is None  # short of staff, not of months
