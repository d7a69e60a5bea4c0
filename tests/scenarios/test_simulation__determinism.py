"""`kedja simulate`: a small city-year runs through the engine; the same seed gives the same figures."""
import json

import pytest
from click.testing import CliRunner

from goteborg.cli import main  # the kedja command with the model's commands

ARGS = ["simulate", "--procurements", "8", "--participants", "8", "--json"]


def _figures(seed: int) -> dict:
    result = CliRunner().invoke(main, ARGS + ["--seed", str(seed)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# Each test runs two simulated city-years: on a busy 2-core machine that can pass the suite's
# default timeout of 120 s without anything being wrong.
@pytest.mark.timeout(360)
def test_same_seed_same_figures_and_the_chain_moves():
    first, again = _figures(1), _figures(1)
    assert first == again
    assert first["procurements_screened"] == 8
    assert first["contracts"], "some procurement reached a contract"
    assert sum(first["people_by_outcome"].values()) > 0, "someone got a job or an internship"
    assert first["socio_economic_value_sek"] > 0
    # Every placement counts for one district (the vacancy's), the same placements the contracts count.
    by_district = first["placements_by_district"]
    assert sum(d["placements"] for d in by_district.values()) == sum(c["placements"] for c in first["contracts"]) > 0
    assert round(sum(d["share"] for d in by_district.values()), 2) == 1.0


@pytest.mark.timeout(360)
def test_cutting_history_from_the_saved_state_changes_no_figure(monkeypatch):
    """The bounded state (engine.spiff.history) must not change what the instances do: the
    same city-year with history cut hard (3 levels) and kept whole gives the same figures."""
    monkeypatch.setenv("KEDJA_HISTORY_LEVELS", "0")
    whole = _figures(2)
    monkeypatch.setenv("KEDJA_HISTORY_LEVELS", "3")
    assert _figures(2) == whole
