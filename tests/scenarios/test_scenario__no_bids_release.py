"""A procurement whose requirement was decided, and which then gets no bids, tells the
participants earmarked for it at once, wherever they are in their preparation (assessment,
training, matching, or identified only later): the case owner moves each on (to any vacancy, or
earmarked for another procurement) instead of the participant waiting for vacancies that will
never come. The step the participant was in opens again afterwards. The follow-up counts them as released."""
import pytest

from goteborg.reports import follow_up as follow_up_figures

from .chain import Chain

HIGAB, SUPPORT, AF = "Higab", "Upphandlingsbolaget", "Arbetsförmedlingen"
VUX, NORDOST = "Vuxenutbildningsförvaltningen", "Samordningsförbundet Göteborg Nordost"
COMPETENCES = {"competences": [{"competence": "Parkarbetare", "level": "entry", "count": 1,
                                "needed_by": "2026-06-01"}]}


@pytest.fixture
def chain(make_engine, clock):
    chain = Chain(make_engine(forms_dir=None), clock)  # the real model and its forms
    chain.deploy_model()
    chain.at(2026, 1, 5)
    return chain


def procurement(c, uph, deadline):
    instance = c.start("procurement", uph, procurement_id=uph, buyer_organisation=HIGAB)
    c.complete(instance, "register", HIGAB, {
        "title": f"Parkskötsel {uph}", "kind": "service", "estimated_value_msek": 10,
        "contract_start": "2026-06-01", "duration_months": 12, "estimated_workers": 4,
        "framework_agreement": False})
    c.complete(instance, "needs_inventory", SUPPORT, COMPETENCES)
    c.complete(instance, "requirement", HIGAB, {"requirement_kind": "binding", "places": 1,
                                                "required_months": 12, "matching_body": SUPPORT})
    c.complete(instance, "publish", HIGAB, {"published_on": "2026-01-05", "tender_deadline": deadline})
    return instance


def participant(c, pid, uph):
    instance = c.start("target_group", pid, participant_id=pid, procurement_id=uph, case_owner=AF,
                       district="Angered", coordination_association=NORDOST)
    c.complete(instance, "identify", AF, {"target_group": "young", "gender": "man", "birth_year": 2001})
    return instance


def to_matching(c, instance):
    c.complete(instance, "assess", AF, {"continue_programme": True})
    c.complete(instance, "coordinate", NORDOST, {"plan": "Basutbildning"})
    c.complete(instance, "training", VUX, {"training_completed": True, "training_months": 2})


def test_no_bids_after_a_binding_requirement_releases_its_participants_at_once(chain):
    c = chain
    ended = procurement(c, "UPH-N", "2026-02-01T12:00")
    other = procurement(c, "UPH-O", "2026-09-01T12:00")  # still open for bids: the next earmark
    in_assessment, in_training, in_matching = (participant(c, pid, "UPH-N") for pid in ("P-N1", "P-N2", "P-N3"))
    c.complete(in_training, "assess", AF, {"continue_programme": True})
    c.complete(in_training, "coordinate", NORDOST, {"plan": "Basutbildning"})
    to_matching(c, in_matching)
    for instance in (in_assessment, in_training, in_matching):
        assert c.data(instance)["requirement"]["requirement_kind"] == "binding"
    assert c.elements(in_matching) == ["match"]

    c.at(2026, 2, 2)  # the tender closed with no bid
    assert c.status(ended) == "completed"
    [message] = c.engine.queries.messages(name="procurement_ended").items
    assert message.status == "retained"  # kept for a participant who comes later
    # Each is told at once: the step it was in waits while its case owner moves it on.
    for instance in (in_assessment, in_training, in_matching):
        assert c.elements(instance) == ["released"], c.describe(instance)
        assert c.task(instance, "released").organisation == AF

    # Moved on: one earmarked for the procurement still open, the others to any vacancy; each
    # goes back to the step it was in.
    c.complete(in_matching, "released", AF, {"release_step": "new_procurement", "new_procurement_id": "UPH-O"})
    assert (c.data(in_matching)["procurement_id"], c.data(in_matching)["procurement_released"]) == ("UPH-O", "UPH-N")
    assert c.elements(in_matching) == ["match"]
    c.complete(in_training, "released", AF, {"release_step": "any_vacancy"})
    assert c.data(in_training)["procurement_id"] == "UPH-N"
    assert c.elements(in_training) == ["training"]
    c.complete(in_assessment, "released", AF, {"release_step": "any_vacancy"})
    assert c.elements(in_assessment) == ["assess"]

    # Told once: moved on, it is not told again at its next step.
    c.complete(in_training, "training", VUX, {"training_completed": True, "training_months": 2})
    assert c.elements(in_training) == ["match"]
    # Identified after the end: learns the requirement and, at its first step, the end.
    late = participant(c, "P-N4", "UPH-N")
    assert c.elements(late) == ["released"]
    assert c.status(other) == "waiting"

    figures = follow_up_figures(c.engine, c.engine.config.settings["socio_economic_values"]).as_dict()
    # Hand count: P-N1, P-N2 and P-N3 moved on; P-N4 told, its case owner has not answered yet.
    assert figures["participants_released"] == 3
    assert figures["requirements_by_kind"] == {"dialogue": 0, "binding": 2, "reserved": 0}
