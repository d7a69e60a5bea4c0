"""The admin console's incidents: failed timers and messages with their error, retried by an
administrator (and by no one else)."""
from __future__ import annotations

from datetime import timedelta

from engine.clock import utc_naive
from engine.models import Message


def _failed_message(engine, message_id="m-poison"):
    now = engine.now()
    with engine.uow() as uow:
        uow.repo.add(Message(id=message_id, name="requirement_decided", correlation_key='{"procurement_id": "UPH-9"}',
                             payload="{}", status="failed", attempts=3, last_error="OperationalError: disk I/O error",
                             created_at=utc_naive(now), expires_at=utc_naive(now + timedelta(days=30))))
        uow.commit()


def test_an_administrator_sees_an_incident_with_its_error_and_retries_it(browser, engine):
    _failed_message(engine)
    admin = browser("admin")
    page = admin.get("/admin/incidents").get_data(as_text=True)
    assert "Incidenter" in page and "Beslut om krav" in page and "disk I/O error" in page
    assert "Försök igen" in page

    caseworker = browser("af")
    caseworker.get("/")
    assert caseworker.post("/admin/incidents/message/m-poison/retry").status_code == 403
    assert engine.queries.message("m-poison").status == "failed"

    response = admin.post("/admin/incidents/message/m-poison/retry")
    assert response.location == "/admin/incidents"
    page = admin.get("/admin/incidents").get_data(as_text=True)
    assert "Incidenten är försökt igen" in page and "Inga incidenter" in page
    assert engine.queries.message("m-poison").status == "buffered"  # nobody waits for it yet
    assert "Försökte meddelandet igen" in admin.get("/admin/audit").get_data(as_text=True)


def test_retrying_what_is_no_incident_says_why(browser, engine):
    admin = browser("admin")
    admin.get("/admin/incidents")
    admin.post("/admin/incidents/message/no-such/retry")
    assert "Det gick inte" in admin.get("/admin/incidents").get_data(as_text=True)
