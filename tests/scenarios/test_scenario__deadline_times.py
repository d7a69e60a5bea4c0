"""Deadlines take a date and a time: the tender closes at the hour the buyer gave (the city's wall
time), and a date alone, as older cases and clients send it, still means that day at 00:00."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from engine.commands import Sweep
from engine.errors import InvalidInput
from forms import validate

from .chain import Chain

HIGAB, SUPPORT = "Higab", "Upphandlingsbolaget"
REGISTER = {"title": "Parkskötsel", "kind": "service", "estimated_value_msek": 10, "contract_start": "2026-06-01",
            "duration_months": 12, "estimated_workers": 4, "framework_agreement": False}
SCHEMAS = Path(__file__).resolve().parents[2] / "forms" / "schemas"


@pytest.fixture
def chain(make_engine, clock):
    chain = Chain(make_engine(forms_dir=None), clock)
    chain.deploy_model()
    chain.at(2026, 1, 5)
    return chain


def _published(c, uph: str, deadline: str) -> str:
    procurement = c.start("procurement", uph, procurement_id=uph, buyer_organisation=HIGAB)
    c.complete(procurement, "register", HIGAB, REGISTER)
    c.complete(procurement, "needs_inventory", SUPPORT, {"competences": [
        {"competence": "Parkarbetare", "level": "entry", "count": 1, "needed_by": "2026-06-01"}]})
    c.complete(procurement, "requirement", HIGAB, {"requirement_kind": "binding", "places": 1,
                                                   "required_months": 12, "matching_body": SUPPORT})
    c.complete(procurement, "publish", HIGAB, {"published_on": "2026-01-05", "tender_deadline": deadline})
    return procurement


def _tender_closes_at(c, procurement) -> datetime:
    [wait] = [w for w in c.engine.queries.instance(procurement)["waiting_for"] if w["kind"] == "timer"]
    return wait["due_at"]


def _at(c, *moment) -> None:
    c.clock.set(datetime(*moment, tzinfo=timezone.utc))
    while c.engine.execute(Sweep()).timers_fired:
        pass


@pytest.mark.parametrize("deadline, closes", [
    ("2026-02-01T14:00", datetime(2026, 2, 1, 13, 0)),  # 14:00 in Stockholm (UTC+1 in winter)
    ("2026-02-01T14:00:00+01:00", datetime(2026, 2, 1, 13, 0)),  # a zone given over the API
    ("2026-02-01", datetime(2026, 1, 31, 23, 0)),  # a date alone: 00:00 that day, as before
])
def test_the_tender_closes_at_the_deadlines_date_and_time(chain, deadline, closes):
    procurement = _published(chain, "UPH-T", deadline)
    assert _tender_closes_at(chain, procurement) == closes
    _at(chain, *(closes - timedelta(minutes=1)).timetuple()[:5])
    assert chain.status(procurement) == "waiting"  # not before
    _at(chain, *(closes + timedelta(minutes=1)).timetuple()[:5])
    assert chain.status(procurement) == "completed"  # closed without bids


def test_a_deadline_before_publication_or_not_a_time_is_refused(chain):
    procurement = _published(chain, "UPH-U", "2026-02-01T14:00")
    assert chain.status(procurement) == "waiting"
    other = chain.start("procurement", "UPH-V", procurement_id="UPH-V", buyer_organisation=HIGAB)
    chain.complete(other, "register", HIGAB, REGISTER)
    chain.complete(other, "needs_inventory", SUPPORT, {"competences": [
        {"competence": "Parkarbetare", "level": "entry", "count": 1, "needed_by": "2026-06-01"}]})
    chain.complete(other, "requirement", HIGAB, {"requirement_kind": "binding", "places": 1,
                                                 "required_months": 12, "matching_body": SUPPORT})
    for deadline, message in [("2026-01-04T23:00", "Får inte vara före publicerad"),
                              ("2026-02-01T25:00", "Ange datum och tid (ÅÅÅÅ-MM-DD TT:MM)"),
                              ("1 februari kl. 14", "Ange datum och tid (ÅÅÅÅ-MM-DD TT:MM)")]:
        with pytest.raises(InvalidInput) as refused:
            chain.complete(other, "publish", HIGAB, {"published_on": "2026-01-05", "tender_deadline": deadline})
        assert [(e.field, e.message) for e in refused.value.fields] == [("tender_deadline", message)]
    chain.complete(other, "publish", HIGAB, {"published_on": "2026-01-05", "tender_deadline": "2026-01-05T16:00"})


def test_the_correction_deadline_takes_a_date_and_a_time():
    schema = json.loads((SCHEMAS / "correction_request.json").read_text(encoding="utf-8"))
    assert schema["properties"]["correction_deadline"]["format"] == "date-time"
    for deadline in ("2026-11-01T12:00", "2026-11-01"):
        assert validate(schema, {"deviation": "För få placeringar", "correction_deadline": deadline}) == []
    [problem] = validate(schema, {"deviation": "För få placeringar", "correction_deadline": "snart"})
    assert (problem.field, problem.message) == ("correction_deadline", "Ange datum och tid (ÅÅÅÅ-MM-DD TT:MM)")
