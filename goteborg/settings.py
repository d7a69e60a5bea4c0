"""The Göteborg model's settings (docs/settings.md), with their defaults and KEDJA_* variables.

The engine holds them in `EngineConfig.settings` (by name) without knowing them; diagrams read
those in DIAGRAM_SETTINGS as `settings['screening_min_months']` and so on."""
from __future__ import annotations

import json
import os

# The geographic distribution key: each district's share of the city's placements. Göteborg's
# ten former district committees, weighted towards the districts with the most people far from
# the labour market (a made-up default; KEDJA_DISTRIBUTION_KEY sets the city's own).
DEFAULT_DISTRIBUTION_KEY = {
    "Angered": 0.16, "Östra Göteborg": 0.14, "Västra Hisingen": 0.11, "Norra Hisingen": 0.10, "Lundby": 0.09,
    "Centrum": 0.08, "Majorna-Linné": 0.08, "Askim-Frölunda-Högsbo": 0.08, "Västra Göteborg": 0.08,
    "Örgryte-Härlanda": 0.08,
}
# The settings diagrams may read.
DIAGRAM_SETTINGS = ("screening_min_months", "screening_min_workers", "reserved_min_share", "distribution_key")


def defaults() -> dict:
    return {
        # Screening (Göteborg's rule): a procurement is a candidate for an employment requirement
        # if it runs at least this many months and needs more than this many workers.
        "screening_min_months": 4, "screening_min_workers": 1,
        # A reserved contract: at least this share of the staff comes from the target groups;
        # below it at the fulfilment date, a correction request.
        "reserved_min_share": 0.3,
        # {district: share}: orders the vacancies offered when a participant is matched, and the
        # follow-up's placements per district (goteborg/distribution.py).
        "distribution_key": dict(DEFAULT_DISTRIBUTION_KEY),
        # The socio-economic estimate: value to society (SEK) per person by outcome. The national
        # agency's example: a 12-month job for a newly arrived person is worth over 200,000 SEK.
        "socio_economic_values": {"employment": 200_000, "apprenticeship": 150_000, "trainee": 120_000,
                                  "internship": 60_000, "other_occupation": 40_000},
    }


def from_env() -> dict:
    """The defaults with what the environment sets."""
    values = defaults()
    for name in ("screening_min_months", "screening_min_workers"):
        if value := os.environ.get(f"KEDJA_{name.upper()}"):
            values[name] = int(value)
    if value := os.environ.get("KEDJA_RESERVED_MIN_SHARE"):
        values["reserved_min_share"] = float(value)
    if key := os.environ.get("KEDJA_DISTRIBUTION_KEY"):  # JSON: {"Angered": 0.2, ...}
        values["distribution_key"] = json.loads(key)
    if socio := os.environ.get("KEDJA_SOCIO_ECONOMIC_VALUES"):  # JSON: {"employment": 200000, ...}
        values["socio_economic_values"] = json.loads(socio)
    return values
