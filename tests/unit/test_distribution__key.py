"""The geographic distribution key: a setting, normalised, and the standing per district that
orders the vacancies offered in matching and fills the follow-up."""
from collections import Counter

from engine.config import EngineConfig
from goteborg.distribution import normalised, placement_counts, standing
from goteborg.settings import DEFAULT_DISTRIBUTION_KEY


def test_the_key_is_a_model_setting_read_from_the_environment(monkeypatch):
    assert EngineConfig().model_settings()["distribution_key"] == DEFAULT_DISTRIBUTION_KEY
    assert abs(sum(DEFAULT_DISTRIBUTION_KEY.values()) - 1) < 1e-9
    monkeypatch.setenv("KEDJA_DISTRIBUTION_KEY", '{"Angered": 3, "Lundby": 1}')
    assert EngineConfig.from_env().model_settings()["distribution_key"] == {"Angered": 3, "Lundby": 1}


def test_shares_are_normalised_and_an_empty_key_is_the_default():
    assert normalised({"Angered": 3, "Lundby": 1, "Centrum": 0}) == {"Angered": 0.75, "Lundby": 0.25}
    assert normalised(None) == normalised({}) == normalised(DEFAULT_DISTRIBUTION_KEY)


def test_placements_count_for_the_vacancys_district_else_the_participants():
    procurements = [{"placements": [{"vacancy_id": "U/S1-1", "participant_id": "P1"},
                                    {"vacancy_id": "U/S1-2", "participant_id": "P2"},
                                    {"vacancy_id": "U/S1-3", "participant_id": "P3"}]}]
    suppliers = [{"vacancies": [{"vacancy_id": "U/S1-1", "district": "Lundby"}, {"vacancy_id": "U/S1-2"}]}]
    participants = [{"participant_id": "P2", "district": "Angered"}]
    assert placement_counts(procurements, suppliers, participants) == Counter(
        {"Lundby": 1, "Angered": 1, "okänd": 1})


def test_standing_lists_every_district_of_the_key_and_the_difference():
    rows = standing(Counter({"Angered": 3, "Centrum": 1}), {"Angered": 0.5, "Lundby": 0.5})
    assert rows == {
        "Angered": {"placements": 3, "share": 0.75, "key_share": 0.5, "difference": 0.25},
        "Lundby": {"placements": 0, "share": 0.0, "key_share": 0.5, "difference": -0.5},
        "Centrum": {"placements": 1, "share": 0.25, "key_share": 0.0, "difference": 0.25}}
    assert standing(Counter(), {"Angered": 1.0})["Angered"]["difference"] == -1.0
