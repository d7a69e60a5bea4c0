"""The Göteborg model's choices for form fields that name live data (`"x-kedja-options":
"<provider>"` on a field, engine/form_options.py): the open vacancies described for a person
(the participant's own procurement first, then by the distribution key), the districts of the
distribution key, procurements open for bids or under way, the bids a procurement received.
The processes and the candidate-proposal message are found by their roles (goteborg/roles.py)."""
from __future__ import annotations

from engine import OptionReader

from .distribution import current_key, district_standing
from .roles import BID, CANDIDATE_PROPOSAL, PROCUREMENT, Roles

PLACEMENT_FORMS = {"employment": "anställning", "apprenticeship": "lärlingsanställning", "trainee": "traineeplats",
                   "internship": "praktik"}


def open_vacancies(reader: OptionReader, data: dict) -> list[tuple[str, str]]:
    """The open vacancies (each waits for a candidate proposal), described so that a caseworker
    knows them (title, supplier, district, procurement): the participant's own procurement first,
    then the districts furthest below their share of the distribution key (goteborg/distribution.py).
    The vacancies are the catches that wait for the message declaring the candidate-proposal role,
    whatever it is named."""
    waiting = reader.waiting(*sorted(Roles(reader.roles()).messages(CANDIDATE_PROPOSAL)))
    facts = reader.facts({instance_id for instance_id, _key in waiting})
    standing = district_standing(reader) if waiting else {}
    titles = _procurement_titles(reader) if waiting else {}
    own = str(data.get("procurement_id") or "")
    choices = []
    for instance_id, key in waiting:
        vacancy_id = key.get("vacancy_id")
        if vacancy_id is None:
            continue
        supplier = facts.get(instance_id, {})
        vacancy = next((v for v in supplier.get("vacancies") or [] if v.get("vacancy_id") == vacancy_id), {})
        procurement = str(supplier.get("procurement_id") or vacancy_id.split("/")[0])
        district = vacancy.get("district")
        difference = standing.get(district, {}).get("difference") if district else None
        title = titles.get(procurement)
        # The district and its standing early, so that a narrow list still shows them.
        parts = [vacancy.get("title") or "Tjänst", supplier.get("supplier_name") or "",
                 _district_text(district, difference), PLACEMENT_FORMS.get(vacancy.get("form"), ""),
                 f"start {vacancy['start_date']}" if vacancy.get("start_date") else "",
                 f"upphandling {title + ' (' + procurement + ')' if title else procurement}"
                 + (", deltagarens" if procurement == own else "")]
        # Unknown standing (no district, or one outside the key) sorts after those the key places.
        order = (procurement != own, difference if difference is not None else 2.0)
        choices.append((order, vacancy_id, " – ".join(p for p in parts if p)))
    return [(vacancy_id, label) for _order, vacancy_id, label in sorted(set(choices))]


def _district_text(district: str | None, difference: float | None) -> str:
    if not district:
        return "stadsdel ej angiven"
    if difference is None:
        return f"{district} (utanför fördelningsnyckeln)"
    points = round(abs(difference) * 100)
    if points == 0:
        return f"{district} (enligt fördelningsnyckeln)"
    side = "under" if difference < 0 else "över"
    return f"{district} ({points} procentenheter {side} fördelningsnyckeln)"


def _procurement_titles(reader: OptionReader) -> dict[str, str]:
    titles = {}
    for _id, _key, values in reader.facts_of(Roles(reader.roles()).processes(PROCUREMENT)):
        if values.get("procurement_id") and values.get("title"):
            titles[str(values["procurement_id"])] = str(values["title"])
    return titles


def districts(reader: OptionReader, data: dict) -> list[tuple[str, str]]:
    """The districts of the distribution key, for a vacancy's district."""
    return [(name, name) for name in sorted(current_key())]


def published_procurements(reader: OptionReader, data: dict) -> list[tuple[str, str]]:
    """Procurements open for bids now (waiting for a bid)."""
    waiting = reader.waiting(*sorted(Roles(reader.roles()).messages(BID)))  # the message a bid is
    facts = reader.facts({instance_id for instance_id, _key in waiting})
    choices = {}
    for instance_id, key in waiting:
        procurement_id = str(key.get("procurement_id") or facts.get(instance_id, {}).get("procurement_id") or "")
        if procurement_id:
            title = facts.get(instance_id, {}).get("title")
            choices[procurement_id] = f"{title} ({procurement_id})" if title else procurement_id
    return sorted(choices.items(), key=lambda item: item[1])


def procurements(reader: OptionReader, data: dict) -> list[tuple[str, str]]:
    """Every procurement under way, by its title."""
    choices = {}
    for _id, _key, values in reader.facts_of(Roles(reader.roles()).processes(PROCUREMENT), active=True):
        if procurement_id := values.get("procurement_id"):
            title = values.get("title")
            choices[str(procurement_id)] = f"{title} ({procurement_id})" if title else str(procurement_id)
    return sorted(choices.items(), key=lambda item: item[1])


def bids(reader: OptionReader, data: dict) -> list[tuple[str, str]]:
    """The bids the procurement received (its own data), by supplier name."""
    choices = []
    for bid in data.get("bids") or []:
        if isinstance(bid, dict) and bid.get("supplier_id"):
            name = str(bid.get("supplier_name") or bid["supplier_id"])
            reference = f" – anbud {bid['bid_reference']}" if bid.get("bid_reference") else ""
            choices.append((str(bid["supplier_id"]), name + reference))
    return choices


# provider name -> function(reader, the task's data) -> [(value, label)]
OPTION_PROVIDERS = {"open_vacancies": open_vacancies, "published_procurements": published_procurements,
                    "procurements": procurements, "districts": districts, "bids": bids}
# The providers whose choices depend on the task's own data.
DATA_PROVIDERS = frozenset({"open_vacancies", "bids"})
