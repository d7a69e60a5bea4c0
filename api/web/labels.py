"""Swedish words for the engine's English codes (the interface speaks Swedish)."""
from __future__ import annotations

STATUSES = {"running": "Pågår", "waiting": "Väntar", "completed": "Avslutad", "error": "Fel",
            "suspended": "Pausad", "terminated": "Avbruten"}
PROCESSES = {"procurement": "Upphandling", "supplier": "Leverantör", "target_group": "Deltagare"}
STALL_REASONS = {"message_wait": "Väntar länge på meddelande", "timer_overdue": "Timer försenad",
                 "task_overdue": "Uppgift förfallen", "task_unclaimed": "Uppgift ej tagen",
                 "no_progress": "Ingen framdrift", "orphan": "Väntar på ingenting", "error": "Fel"}
MESSAGE_STATUSES = {"pending": "Väntande", "delivered": "Levererat", "buffered": "Buffrat",
                    "expired": "Utgånget", "started": "Startade instans", "failed": "Misslyckat"}
ROLES = {"caseworker": "Handläggare", "process_owner": "Processägare", "admin": "Administratör",
         "supplier": "Leverantör"}
TASK_STATES = {"open": "Öppen", "completed": "Klar", "cancelled": "Avbruten"}

LABELS = {"status": STATUSES, "process": PROCESSES, "stall": STALL_REASONS, "message": MESSAGE_STATUSES,
          "role": ROLES, "task_state": TASK_STATES}


def status_label(code: str | None, kind: str = "status") -> str:
    return LABELS[kind].get(code or "", code or "")
