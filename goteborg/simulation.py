"""A city-year through the engine: procurements, bidders, participants, matching, dropouts and
deadlines, with the clock moved week by week (nothing sleeps).

Every decision (durations, dropouts, choices) comes from a random generator seeded by the
run's seed and the task's own stable name (case, element, vacancy), never by the order in
which the engine lists things, so the same seed gives the same figures.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

from engine import Actor, CompleteTask, Deploy, Engine, EngineError, StartInstance, Sweep

BUYERS = ("Higab", "Trafikkontoret", "Park- och naturförvaltningen", "Framtiden AB", "Lokalförvaltningen",
          "Älvstranden Utveckling AB", "Upphandlingsbolaget")
DISTRICTS = ("Angered", "Östra Göteborg", "Västra Hisingen", "Norra Hisingen", "Lundby", "Centrum",
             "Majorna-Linné", "Askim-Frölunda-Högsbo", "Västra Göteborg", "Örgryte-Härlanda")
ASSOCIATIONS = ("Samordningsförbundet Göteborg Nordost", "Samordningsförbundet Göteborg Centrum",
                "Samordningsförbundet Göteborg Hisingen", "Samordningsförbundet Insjöriket")
START = datetime(2026, 1, 5, 8, 0, tzinfo=timezone.utc)
WEEKS = 104  # a year of procurements, and the year after in which their contracts run


@dataclass
class Plan:
    """What the year holds, drawn up front from the seed."""

    procurements: list[dict] = field(default_factory=list)
    participants: list[dict] = field(default_factory=list)


def make_plan(procurements: int, participants: int, seed: int, min_months: int = 4, min_workers: int = 1) -> Plan:
    rng = random.Random(f"{seed}/plan")
    plan = Plan()
    for n in range(procurements):
        week = n * 52 // max(procurements, 1)
        candidate_rule = rng.random()
        plan.procurements.append({
            "procurement_id": f"UPH-{n + 1:03d}", "week": week, "buyer_organisation": rng.choice(BUYERS),
            "kind": rng.choices(("service", "works", "goods"), (60, 25, 15))[0],
            "duration_months": rng.choice((2, 3, 6, 12, 24, 36)) if candidate_rule < 0.8 else 3,
            "estimated_workers": rng.randint(0, 12),
            "requirement_kind": rng.choices(("none", "dialogue", "binding", "reserved"), (20, 25, 45, 10))[0],
            "places": rng.randint(1, 3), "bidders": rng.randint(1, 3),
        })
        if n % 11 == 4:  # nobody bids: its participants, holding the requirement, are released
            plan.procurements[-1]["bidders"] = 0
    with_requirement = [p for p in plan.procurements
                        if p["duration_months"] >= min_months and p["estimated_workers"] > min_workers
                        and p["requirement_kind"] != "none"]
    for n, p in enumerate(p for p in with_requirement if p["requirement_kind"] == "reserved"):
        p["staff_target_group"] = 2 if n % 2 == 0 else 4  # of 10: every other one below the 30 % rule
    without = [p for p in plan.procurements if p not in with_requirement]
    for n in range(participants):
        procurement = with_requirement[n % len(with_requirement)] if with_requirement else None
        if n % 15 == 14 and without:  # earmarked for one that ends early: released at once
            procurement = without[n % len(without)]
        # Some are identified weeks after their procurement's requirement decision: they learn it then.
        delay = rng.choice((0, 0, 0, 0, 3, 8))
        plan.participants.append({
            "participant_id": f"P-{n + 1:04d}", "procurement_id": procurement and procurement["procurement_id"],
            "week": procurement["week"] + delay if procurement else 0, "district": rng.choice(DISTRICTS),
            "case_owner": rng.choice(("district", "Arbetsförmedlingen")),
            "coordination_association": rng.choice(ASSOCIATIONS),
            "target_group": rng.choices(("young", "born_abroad", "disability"), (45, 40, 15))[0],
            "gender": rng.choice(("woman", "man")), "birth_year": rng.randint(1965, 2007),
        })
    return plan


def _day(moment: datetime, weeks: float = 0) -> str:
    return (moment + timedelta(weeks=weeks)).date().isoformat()


class Simulation:
    def __init__(self, engine: Engine, plan: Plan, seed: int, processes_dir: Path) -> None:
        self.engine, self.plan, self.seed, self.processes_dir = engine, plan, seed, processes_dir
        self.instances: dict[str, str] = {}  # business key -> instance id
        self.commands = 0

    @property
    def now(self) -> datetime:
        return self.engine.clock.now()

    def rng(self, *name) -> random.Random:
        return random.Random("/".join(str(part) for part in (self.seed, *name)))

    def run(self, progress: Callable[[int], None] = lambda _n: None, weeks: int = WEEKS) -> None:
        """`weeks`: stop early (a test looks at the cases while they are still under way)."""
        self.engine.execute(Deploy(tuple((f"{key}.bpmn", (self.processes_dir / f"{key}.bpmn").read_bytes())
                                         for key in ("procurement", "supplier", "target_group"))))
        for week in range(weeks):
            self.engine.clock.set(START + timedelta(weeks=week))
            while self.engine.execute(Sweep()).timers_fired:
                pass
            self._start_what_is_due(week)
            for _ in range(3):  # work that one completion opens may be done the same week
                if not self._work_the_inboxes():
                    break
            progress(1)

    # --- starting cases -------------------------------------------------------------------
    def _start(self, process: str, key: str, data: dict) -> str:
        self.instances[key] = self.engine.execute(StartInstance(process, data, business_key=key)).id
        self.commands += 1
        return self.instances[key]

    def _start_what_is_due(self, week: int) -> None:
        for p in self.plan.procurements:
            if p["week"] == week:
                self._start("procurement", p["procurement_id"],
                            {"procurement_id": p["procurement_id"], "buyer_organisation": p["buyer_organisation"]})
        for person in self.plan.participants:
            if person["week"] == week and person["procurement_id"]:
                owner = person["district"] if person["case_owner"] == "district" else "Arbetsförmedlingen"
                self._start("target_group", person["participant_id"], {
                    "participant_id": person["participant_id"], "procurement_id": person["procurement_id"],
                    "district": person["district"], "case_owner": owner,
                    "coordination_association": person["coordination_association"]})

    # --- working the inboxes ----------------------------------------------------------------
    def _work_the_inboxes(self) -> int:
        done = 0
        tasks = self.engine.queries.inbox(None, per_page=100_000).items
        keys = {instance_id: key for key, instance_id in self.instances.items()}
        for task in sorted(tasks, key=lambda t: (keys.get(t.instance_id, ""), t.element_id, t.created_at)):
            case = keys.get(task.instance_id, task.instance_id)
            handler = getattr(self, f"_{task.process_key}__{task.element_id}", None)
            try:
                # The list is a snapshot: a completion may have closed a later task in it.
                answer = handler(task, self.engine.queries.task_data(task.id), case) if handler else {}
                if answer is None:
                    continue  # not yet
                self.engine.execute(CompleteTask(task.id, answer, Actor("simulation", task.organisation)))
                self.commands += 1
                done += 1
            except EngineError:
                continue  # a task closed meanwhile, a vacancy taken: looked at again next week
        return done

    def _waited(self, task, weeks: float) -> bool:
        return self.now >= task.created_at.replace(tzinfo=timezone.utc) + timedelta(weeks=weeks)

    def _procurement(self, data: dict) -> dict:
        return next(p for p in self.plan.procurements if p["procurement_id"] == data.get("procurement_id"))

    # procurement ---------------------------------------------------------------------------
    def _procurement__register(self, task, data, case):
        p = self._procurement(data)
        return {"title": f"Upphandling {case}", "kind": p["kind"], "estimated_value_msek": p["places"] * 20,
                "contract_start": _day(self.now, 16), "duration_months": p["duration_months"],
                "estimated_workers": p["estimated_workers"], "framework_agreement": False}

    def _procurement__needs_inventory(self, task, data, case):
        return {"competences": [{"competence": "Yrkesroll", "level": "entry", "count": 1,
                                 "needed_by": _day(self.now, 20)}]}

    def _procurement__requirement(self, task, data, case):
        if not self._waited(task, 1):
            return None
        p = self._procurement(data)
        for n in range(1, p["bidders"] + 1):  # the bidders come now that the requirement is known
            supplier_id = f"{case}-S{n}"
            if supplier_id not in self.instances:
                self._start("supplier", supplier_id, {"procurement_id": case, "supplier_id": supplier_id,
                                                       "supplier_name": f"Leverantör {supplier_id} AB"})
        return {"requirement_kind": p["requirement_kind"], "places": p["places"],
                "required_months": p["places"] * 12, "matching_body": self.rng(case, "matching").choice(
                    ("Upphandlingsbolaget", "Arbetsförmedlingen"))}

    def _procurement__publish(self, task, data, case):
        return {"published_on": _day(self.now), "tender_deadline": _day(self.now, 4)}

    def _procurement__award(self, task, data, case):
        bidders = sorted(b["supplier_id"] for b in data["bids"])
        if not bidders:
            return None
        winner = self.rng(case, "award").choice(bidders)
        return {"awarded_supplier_id": winner, "contract_id": f"AVT-{case}"}

    def _procurement__contract(self, task, data, case):
        return {"signed_on": _day(self.now)}

    def _procurement__start_meeting(self, task, data, case):
        months = data["duration_months"]
        end = date.fromisoformat(data["contract_start"]) + timedelta(days=30 * months)
        return {"fulfilment_date": end.isoformat(), "follow_up_plan": "Månadsvis uppföljning"}

    def _procurement__request_correction(self, task, data, case):
        return {"deviation": "Ingen placering inom sex månader", "correction_deadline": _day(self.now, 4)}

    def _procurement__review_answer(self, task, data, case):
        return {"remedied": self.rng(case, "remedied", task.created_at).random() < 0.7}

    def _procurement__sanction(self, task, data, case):
        return {"sanction_kind": "penalty", "sanction_amount_sek": 50_000}

    def _procurement__dialogue_follow_up(self, task, data, case):
        rng = self.rng(case, "dialogue")
        held = rng.random() < 0.8
        return {"dialogue_held": held, "dialogue_people_hired": rng.randint(0, 3) if held else 0}

    def _procurement__final_report(self, task, data, case):
        return {"outcome": "fulfilled" if data["months_delivered"] >= data["required_months"] else "partly"}

    # supplier -------------------------------------------------------------------------------
    def _supplier__bid(self, task, data, case):
        return {"bid_reference": f"A-{case}"}

    def _supplier__first_meeting(self, task, data, case):
        return {"met_on": _day(self.now), "contact_person": "Kontaktperson"} if self._waited(task, 2) else None

    def _supplier__remind_meeting(self, task, data, case):
        return {"reminded_on": _day(self.now)}

    def _supplier__recruitment_need(self, task, data, case):
        places = self._procurement({"procurement_id": data["procurement_id"]})["places"]
        rng = self.rng(case, "form")
        form = rng.choice(("employment", "apprenticeship", "trainee", "internship"))
        return {"vacancies": [{"title": "Yrkesroll", "positions": 1, "form": form, "start_date": _day(self.now, 4),
                               "district": rng.choice(DISTRICTS)} for _ in range(places)]}

    def _supplier__vacancy_escalated(self, task, data, case):
        return {"action": "Kandidater efterfrågade"}

    def _supplier__decide_candidate(self, task, data, case):
        if not self._waited(task, 1):
            return None
        rng = self.rng(case, data["candidate"]["participant_id"], "decision", task.created_at)
        if rng.random() < 0.15:
            return {"accepted": False}
        months = rng.choice((6, 9, 12))
        return {"accepted": True, "placement_form": data["vacancy"]["form"], "placement_start": _day(self.now, 1),
                "placement_end": _day(self.now, 1 + months * 4.3), "extent_percent": rng.choice((50, 75, 100))}

    def _supplier__follow_placement(self, task, data, case):
        rng = self.rng(case, data["candidate"]["participant_id"], "placement")
        if rng.random() < 0.15:  # a dropout, somewhere in the first months
            if not self._waited(task, rng.randint(2, 12)):
                return None
            return {"outcome": "dropout", "ended_on": _day(self.now), "end_reason": "Avbrott"}
        end = datetime.fromisoformat(data["placement_end"]).replace(tzinfo=timezone.utc)
        if self.now < end:
            return None
        # An internship or trainee place leads on to employment about half the time.
        return {"outcome": "completed", "employed_after": rng.random() < 0.5}

    def _supplier__monthly_report(self, task, data, case):
        facts = self.engine.queries.instance_data(self.instances[data["procurement_id"]])
        ended = {d["participant_id"]: d["date"] for d in facts.get("dropouts", [])}
        months = sum(self._months_served(p, ended.get(p["participant_id"])) for p in facts.get("placements", []))
        active = sum(1 for p in facts.get("placements", []) if p["end_date"] >= _day(self.now))
        staff = {}
        if data.get("award", {}).get("requirement_kind") == "reserved":  # the staff share for the 30 % rule
            staff = {"staff_total": 10,
                     "staff_target_group": self._procurement(data).get("staff_target_group", 3)}
        return {"months_delivered": round(months, 1), "active_placements": min(active, 100), **staff}

    def _months_served(self, placement: dict, ended_on: str | None = None) -> float:
        start, end = date.fromisoformat(placement["start_date"]), date.fromisoformat(placement["end_date"])
        if ended_on:
            end = min(end, date.fromisoformat(ended_on))
        served = (min(end, self.now.date()) - start).days
        return max(served, 0) / 30 * placement.get("extent_percent", 100) / 100

    def _supplier__answer_correction(self, task, data, case):
        return {"measures": "Rekrytering pågår"}

    def _supplier__note_sanction(self, task, data, case):
        return {"acknowledged": True}

    # target group ---------------------------------------------------------------------------
    def _person(self, data: dict) -> dict:
        return next(p for p in self.plan.participants if p["participant_id"] == data["participant_id"])

    def _target_group__identify(self, task, data, case):
        person = self._person(data)
        return {key: person[key] for key in ("target_group", "gender", "birth_year")}

    def _target_group__assess(self, task, data, case):
        rng = self.rng(case, "assess")
        if not self._waited(task, rng.randint(2, 6)):
            return None
        return {"continue_programme": rng.random() > 0.1}

    def _target_group__work_ability(self, task, data, case):
        return {"work_ability_percent": 50} if self._waited(task, 3) else None

    def _target_group__coordinate(self, task, data, case):
        return {"plan": "Samordnad plan"} if self._waited(task, 1) else None

    def _target_group__training(self, task, data, case):
        rng = self.rng(case, "training")
        months = rng.randint(2, 6)
        if not self._waited(task, months * 4.3):
            return None
        return {"training_completed": rng.random() > 0.1, "training_months": months}

    def _target_group__training_review(self, task, data, case):
        return {"decision": "Fortsätter"}

    def _target_group__match(self, task, data, case):
        form = self.engine.queries.task_form(task.id, self.engine.model_settings)
        open_vacancies = form["properties"]["vacancy_id"]["enum"]
        # The list comes in the order the caseworker sees: the participant's own procurement
        # first, then the districts furthest below the distribution key. Most take the first.
        if not open_vacancies:
            return None
        rng = self.rng(case, "match", task.created_at)
        choice = open_vacancies[0] if rng.random() < 0.8 else rng.choice(open_vacancies)
        return {"matching_outcome": "propose", "vacancy_id": choice, "cv_summary": "Kompetenser och erfarenhet"}

    def _target_group__placement(self, task, data, case):
        """The matching body's follow-up; the outcome comes from the supplier. Most leave the
        task open until the supplier reports; some note a follow-up after a month."""
        if self.rng(case, "follow-up", task.created_at).random() < 0.3 and self._waited(task, 4):
            return {"followed_up_on": _day(self.now), "support_notes": "Handledarsamtal"}
        return None

    def _target_group__certificate(self, task, data, case):
        return {"certificate_issued_on": _day(self.now), "certificate_issued_by": "Leverantören"}

    def _target_group__employment(self, task, data, case):
        return {"employment_start": _day(self.now), "employment_kind": "permanent"}

    def _target_group__released(self, task, data, case):
        """Its procurement ended without bids: matched against every procurement's vacancies."""
        return {"release_step": "any_vacancy"}

    def _target_group__after_dropout(self, task, data, case):
        return {"next_step": "rematch" if self.rng(case, "after", task.created_at).random() < 0.5 else "end"}
