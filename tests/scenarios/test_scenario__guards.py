"""Paths where a case would otherwise wait forever: no bids, a winner who did not bid, a
requirement that never comes, a supplier who never answers."""
import pytest

from engine.errors import InvalidInput

from .chain import Chain

HIGAB, SUPPORT = "Higab", "Upphandlingsbolaget"
REGISTER = {"title": "Parkskötsel", "kind": "service", "estimated_value_msek": 10, "contract_start": "2026-06-01",
            "duration_months": 12, "estimated_workers": 4, "framework_agreement": False}


@pytest.fixture
def chain(make_engine, clock):
    chain = Chain(make_engine(forms_dir=None), clock)
    chain.deploy_model()
    chain.at(2026, 1, 5)
    return chain


def _to_tender(c, uph):
    procurement = c.start("procurement", uph, procurement_id=uph, buyer_organisation=HIGAB)
    c.complete(procurement, "register", HIGAB, REGISTER)
    c.complete(procurement, "needs_inventory", SUPPORT, {"competences": [
        {"competence": "Parkarbetare", "level": "entry", "count": 1, "needed_by": "2026-06-01"}]})
    c.complete(procurement, "requirement", HIGAB, {"requirement_kind": "binding", "places": 1,
                                                   "required_months": 12, "matching_body": SUPPORT})
    c.complete(procurement, "publish", HIGAB, {"published_on": "2026-01-05", "tender_deadline": "2026-02-01"})
    return procurement


def test_a_tender_without_bids_ends(chain):
    procurement = _to_tender(chain, "UPH-9")
    chain.at(2026, 2, 2)
    assert chain.status(procurement) == "completed"
    assert chain.data(procurement)["bids"] == []


def test_the_winner_must_be_a_bidder(chain):
    procurement = _to_tender(chain, "UPH-8")
    bidder = chain.start("supplier", "UPH-8/S1", procurement_id="UPH-8", supplier_id="S1", supplier_name="Bygg AB")
    chain.complete(bidder, "bid", "Bygg AB", {"bid_reference": "A"})
    chain.at(2026, 2, 2)
    with pytest.raises(InvalidInput) as refused:  # the award's choices are the bids, nothing else
        chain.complete(procurement, "award", HIGAB, {"awarded_supplier_id": "S9", "contract_id": "AVT-1"})
    assert [e.field for e in refused.value.fields] == ["awarded_supplier_id"]
    assert chain.elements(procurement) == ["award"]
    chain.complete(procurement, "award", HIGAB, {"awarded_supplier_id": "S1", "contract_id": "AVT-1"})
    assert chain.elements(bidder) == ["first_meeting"]


def test_a_participant_whose_requirement_never_comes_is_closed(chain):
    person = chain.start("target_group", "P-9", participant_id="P-9", procurement_id="UPH-never",
                         case_owner="Angered", district="Angered", coordination_association="Samordningsförbundet")
    chain.complete(person, "identify", "Angered", {"target_group": "young", "gender": "man", "birth_year": 2001})
    chain.at(2026, 7, 6)
    assert chain.status(person) == "completed"
    assert chain.elements(person) == []


def test_a_bidder_that_hears_nothing_is_closed(chain):
    bidder = chain.start("supplier", "UPH-7/S1", procurement_id="UPH-7", supplier_id="S1", supplier_name="Bygg AB")
    chain.complete(bidder, "bid", "Bygg AB", {"bid_reference": "A"})
    chain.at(2026, 7, 6)
    assert chain.status(bidder) == "completed"


def test_each_position_is_a_vacancy_of_its_own(chain):
    procurement = _to_tender(chain, "UPH-6")
    bidder = chain.start("supplier", "UPH-6/S1", procurement_id="UPH-6", supplier_id="S1", supplier_name="Bygg AB")
    chain.complete(bidder, "bid", "Bygg AB", {"bid_reference": "A"})
    chain.at(2026, 2, 2)
    chain.complete(procurement, "award", HIGAB, {"awarded_supplier_id": "S1", "contract_id": "AVT-6"})
    chain.complete(bidder, "first_meeting", SUPPORT, {"met_on": "2026-02-02", "contact_person": "Kim"})
    chain.complete(bidder, "recruitment_need", "Bygg AB", {"vacancies": [
        {"title": "Parkarbetare", "positions": 2, "form": "employment", "start_date": "2026-06-01"},
        {"title": "Arbetsledare", "positions": 1, "form": "trainee", "start_date": "2026-06-01"}]})
    waits = chain.engine.queries.instance(bidder)["waiting_for"]
    vacancies = sorted(w["correlation"]["vacancy_id"] for w in waits if w.get("message") == "candidate_proposal")
    assert vacancies == ["UPH-6/S1-1", "UPH-6/S1-2", "UPH-6/S1-3"]
