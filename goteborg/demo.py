"""The Göteborg model's demonstration data (`kedja demo`): the organisations of the model with
the roles their demo users get, and a few cases so that inboxes are not empty on a new machine.
Made-up people and cases only; api/cli.py adds the users and starts the cases."""
from __future__ import annotations

# The organisations of Göteborg's model (docs/domain.md) and two suppliers, with the roles their demo users get.
DEMO_ORGANISATIONS = {
    "Upphandlingsbolaget": ("support_function", ["caseworker", "process_owner", "admin"]),
    "Higab": ("buyer", ["caseworker"]), "Trafikkontoret": ("buyer", ["caseworker"]),
    "Park- och naturförvaltningen": ("buyer", ["caseworker"]), "Framtiden AB": ("buyer", ["caseworker"]),
    "Lokalförvaltningen": ("buyer", ["caseworker"]), "Älvstranden Utveckling AB": ("buyer", ["caseworker"]),
    "Arbetsförmedlingen": ("employment_service", ["caseworker"]),
    "Försäkringskassan": ("social_insurance", ["caseworker"]),
    "Vuxenutbildningsförvaltningen": ("adult_education", ["caseworker"]),
    "Angered": ("district", ["caseworker"]), "Västra Hisingen": ("district", ["caseworker"]),
    "Samordningsförbundet Göteborg Nordost": ("coordination_association", ["caseworker"]),
    "Bygg AB": ("supplier", ["supplier"]), "Städ AB": ("supplier", ["supplier"]),
}

# A first procurement and three participants, so that inboxes are not empty on a new machine.
DEMO_CASES = [
    ("procurement", "UPH-DEMO-1", {"procurement_id": "UPH-DEMO-1", "buyer_organisation": "Higab"}),
    *[("target_group", pid, {"participant_id": pid, "procurement_id": "UPH-DEMO-1", "case_owner": owner,
                             "district": district, "coordination_association": "Samordningsförbundet Göteborg Nordost"})
      for pid, owner, district in [("P-DEMO-1", "Arbetsförmedlingen", "Angered"),
                                   ("P-DEMO-2", "Arbetsförmedlingen", "Västra Hisingen"),
                                   ("P-DEMO-3", "Angered", "Angered")]],
]
