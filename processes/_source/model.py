"""The three processes of Göteborg's model, as first written (see bpmn_builder.py).

    python processes/_source/model.py     # rewrites processes/*.bpmn
"""
from __future__ import annotations

import sys
from pathlib import Path

from bpmn_builder import TERMINATE, Diagram, message_def, multi_instance, receive_extensions, script, timer_def

OUT = Path(__file__).resolve().parent.parent

# Messages, the correlation properties each carries, and how a property is read from the payload.
MESSAGES = {
    "requirement_decided": ["procurement_id"],
    "bid_submitted": ["procurement_id"],
    "award_decision": ["procurement_id", "supplier_id"],
    "candidate_proposal": ["vacancy_id"],
    "selection_decision": ["participant_id"],
    "placement_started": ["procurement_id"],
    "placement_ended": ["participant_id"],
    "placement_ended_report": ["procurement_id"],
    "monthly_report": ["procurement_id"],
    "correction_request": ["procurement_id", "supplier_id"],
    "correction_answer": ["procurement_id", "supplier_id"],
    "sanction_decided": ["procurement_id", "supplier_id"],
    "follow_up_closed": ["procurement_id", "supplier_id"],
}


def declare(diagram: Diagram, *names: str) -> None:
    for name in names:
        diagram.message(name, {prop: f'{prop}' for prop in MESSAGES[name]})


# The step of its process each user task belongs to (shown in the inbox as the case's phase).
PHASES = {
    "register": "Bruttolista", "needs_inventory": "Screening och behov", "requirement": "Krav",
    "publish": "Annonsering", "award": "Tilldelning", "contract": "Avtal", "start_meeting": "Uppföljning",
    "request_correction": "Sanktion", "review_answer": "Sanktion", "sanction": "Sanktion",
    "final_report": "Uppföljning",
    "bid": "Anbud", "first_meeting": "Tilldelning", "remind_meeting": "Tilldelning",
    "recruitment_need": "Vakanser", "vacancy_escalated": "Kandidater", "decide_candidate": "Kandidater",
    "follow_placement": "Placering", "monthly_report": "Rapporter", "answer_correction": "Sanktion",
    "note_sanction": "Sanktion",
    "identify": "1 Identifiering", "assess": "2 Utredning och bedömning", "work_ability": "2 Utredning och bedömning",
    "coordinate": "2 Utredning och bedömning", "training": "3 Basutbildning", "training_review": "3 Basutbildning",
    "match": "4 Matchning", "placement": "5 Praktik eller särskild utbildning", "after_dropout": "4 Matchning",
}


def user(diagram, node_id, name, lane, col, row=0, form=None, due=None, **kw):
    attrs = {"kedja:formKey": form or node_id, "kedja:phase": PHASES[node_id]}
    if due:
        attrs["kedja:dueIn"] = f"'{due}'"
    return diagram.node(node_id, "user", name, lane, col, row, attrs=attrs, **kw)


def procurement() -> Diagram:
    d = Diagram("procurement", "Upphandlingsprocessen")
    d.documentation = "En instans per upphandling: bruttolista, screening, krav, anbud, tilldelning, uppföljning."
    d.facts = ["procurement_id", "title", "buyer_organisation", "kind", "estimated_value_msek", "contract_start",
               "duration_months", "estimated_workers", "candidate", "requirement_kind", "places",
               "required_months", "awarded_supplier_id", "months_delivered", "placements", "dropouts",
               "first_placement_checked", "first_placement_in_time", "outcome"]
    declare(d, "requirement_decided", "bid_submitted", "award_decision", "placement_started",
            "placement_ended_report", "monthly_report", "correction_request", "correction_answer",
            "sanction_decided", "follow_up_closed")
    d.lane("lane_buyer", "Upphandlande organisation", "buyer", "buyer_organisation", rows=5)
    d.lane("lane_support", "Stödfunktionen", "support_function", "'Upphandlingsbolaget'")
    b, s = "lane_buyer", "lane_support"

    d.node("start", "start", "Planerad upphandling", b, 0)
    user(d, "register", "Registrera på bruttolistan", b, 1, form="procurement_register")
    d.node("screening", "script", "Screening", b, 2, body=script(
        "candidate = duration_months >= settings['screening_min_months'] and "
        "estimated_workers > settings['screening_min_workers']\n"
        "bids = []\nplacements = []\nreports = []\ndropouts = []\nmonths_delivered = 0\n"
        "requirement_kind = 'none'"))
    d.node("is_candidate", "xor", "Kandidat för sysselsättningskrav?", b, 3)
    d.node("end_not_candidate", "end", "Ej kandidat", b, 3, row=1)
    user(d, "needs_inventory", "Kompetens- och behovsinventering", s, 4, form="needs_inventory", due="P1M")
    user(d, "requirement", "Tidig dialog och beslut om krav", b, 5, form="requirement_decision", due="P1M")
    d.node("has_requirement", "xor", "Krav ställs?", b, 6)
    d.node("end_no_requirement", "end", "Inget krav", b, 6, row=1)
    d.node("send_requirement", "throw", "Krav beslutat", b, 7, body=message_def(
        "send_requirement", "requirement_decided",
        payload='{"procurement_id": procurement_id, "requirement_kind": requirement_kind, "places": places, '
                '"required_months": required_months, "contract_start": contract_start, '
                '"competences": competences, "matching_body": matching_body}'))
    user(d, "publish", "Publicera upphandling", b, 8, form="tender_publish")
    d.node("bids_gateway", "event", "Anbud eller sista anbudsdag", b, 9)
    d.node("bid_received", "catch", "Anbud inkommet", b, 10, row=1,
           body=message_def("bid_received", "bid_submitted", variable="bid"))
    d.node("register_bid", "script", "Registrera anbud", b, 11, row=1, body=script("bids = bids + [bid]"))
    d.node("tender_closes", "catch", "Sista anbudsdag", b, 10,
           body=timer_def("tender_closes", "date", "tender_deadline"))
    user(d, "award", "Utvärdera anbud och tilldela", b, 11, form="award")
    d.node("notify_bidders", "subprocess", "Meddela tilldelningsbeslut", b, 12, span=(3, 1),
           body=multi_instance("bids", "bidder"))
    d.collections.append("bids")
    d.node("notify_start", "start", None, b, 12.1, parent="notify_bidders")
    d.node("send_award", "throw", "Tilldelningsbeslut", b, 13, parent="notify_bidders", body=message_def(
        "send_award", "award_decision",
        payload='{"procurement_id": procurement_id, "supplier_id": bidder["supplier_id"], '
                '"awarded": bidder["supplier_id"] == awarded_supplier_id, "contract_id": contract_id, '
                '"requirement_kind": requirement_kind, "required_months": required_months, '
                '"contract_start": contract_start, "matching_body": matching_body}'))
    d.node("notify_end", "end", None, b, 13.9, parent="notify_bidders")
    d.node("standstill", "catch", "Avtalsspärr", b, 15, body=timer_def("standstill", "duration", '"P10D"'))
    user(d, "contract", "Teckna avtal", b, 16, form="contract")
    user(d, "start_meeting", "Startmöte med leverantör och matchningsansvarig", s, 17, form="start_meeting",
         due="P1M")
    d.node("prepare_follow_up", "script", "Förbered uppföljning", b, 18, body=script(
        "first_placement_due = (date.fromisoformat(contract_start) + timedelta(days=183)).isoformat()\n"
        "first_placement_checked = False"))
    d.node("follow_up", "event", "Uppföljning", b, 19)
    d.node("placement_reported", "catch", "Placering startad", b, 20,
           body=message_def("placement_reported", "placement_started", variable="placement"))
    d.node("count_placement", "script", "Registrera placering", b, 21,
           body=script("placements = placements + [placement]"))
    d.node("report_received", "catch", "Månadsrapport", b, 20, row=1,
           body=message_def("report_received", "monthly_report", variable="report"))
    d.node("count_report", "script", "Registrera månadsrapport", b, 21, row=1, body=script(
        "reports = reports + [report]\nmonths_delivered = report['months_delivered']"))
    d.node("dropout_reported", "catch", "Placering avslutad", b, 20, row=2,
           body=message_def("dropout_reported", "placement_ended_report", variable="ended"))
    d.node("count_dropout", "script", "Registrera avbrott", b, 21, row=2,
           body=script("dropouts = dropouts + [ended]"))
    # One timer serves both deadlines (an event-based gateway waits for one timer only): first
    # the six months for the first placement, then the fulfilment date.
    d.node("deadline", "catch", "Nästa frist", b, 20, row=3, body=timer_def(
        "deadline", "date", "fulfilment_date if first_placement_checked else first_placement_due"))
    d.node("which_deadline", "xor", "Vilken frist?", b, 21, row=3)
    d.node("placed_in_time", "xor", "Placering inom sex månader?", b, 22, row=3)
    d.node("mark_checked", "script", "Fristen uppfylld", b, 23, row=3,
           body=script("first_placement_checked = True\nfirst_placement_in_time = True"))
    user(d, "request_correction", "Begär rättelse", b, 23, row=4, form="correction_request")
    d.node("send_correction", "throw", "Rättelse begärd", b, 24, row=4, body=message_def(
        "send_correction", "correction_request",
        payload='{"procurement_id": procurement_id, "supplier_id": awarded_supplier_id, '
                '"deviation": deviation, "deadline": correction_deadline}'))
    d.node("correction_wait", "event", "Svar eller frist", b, 25, row=4)
    d.node("answer_received", "catch", "Svar på rättelse", b, 26, row=3, body=message_def(
        "answer_received", "correction_answer", variable="answer",
        correlations={"supplier_id": "awarded_supplier_id"}))
    user(d, "review_answer", "Bedöm åtgärd", b, 27, row=3, form="correction_review")
    d.node("remedied", "xor", "Åtgärdat?", b, 28, row=3)
    d.node("correction_deadline_passed", "catch", "Frist för rättelse passerad", b, 26, row=4,
           body=timer_def("correction_deadline_passed", "date", "correction_deadline"))
    user(d, "sanction", "Besluta om sanktion", b, 28, row=4, form="sanction")
    d.node("send_sanction", "throw", "Sanktion beslutad", b, 29, row=4, body=message_def(
        "send_sanction", "sanction_decided",
        payload='{"procurement_id": procurement_id, "supplier_id": awarded_supplier_id, '
                '"sanction": sanction_kind, "amount_sek": sanction_amount_sek}'))
    d.node("close_correction", "script", "Fristen hanterad", b, 30, row=3, body=script(
        "first_placement_checked = True\nfirst_placement_in_time = False"))
    user(d, "final_report", "Slutrapport och utfall", s, 22, form="final_report")
    d.node("send_closed", "throw", "Uppföljning avslutad", b, 23, body=message_def(
        "send_closed", "follow_up_closed",
        payload='{"procurement_id": procurement_id, "supplier_id": awarded_supplier_id, '
                '"months_delivered": months_delivered}'))
    d.node("end", "end", "Upphandling avslutad", b, 24)

    # Guards: no bids ends the procurement; the winner must be one of the bidders.
    d.shift(11, 2, keep=("register_bid",))
    d.node("has_bids", "xor", "Anbud inkomna?", b, 11)
    d.node("end_no_bids", "end", "Inga anbud", b, 11, row=2)
    d.node("valid_winner", "xor", "Vinnaren bland anbudsgivarna?", b, 13, row=1)
    d.flow("has_bids", "award", "ja", "len(bids) > 0")
    d.flow("has_bids", "end_no_bids", "inga anbud", default=True)
    d.flow("valid_winner", "notify_bidders", "ja", "awarded_supplier_id in [b['supplier_id'] for b in bids]")
    d.flow("valid_winner", "award", "nej", default=True)
    for a, z in [("start", "register"), ("register", "screening"), ("screening", "is_candidate"),
                 ("needs_inventory", "requirement"), ("requirement", "has_requirement"),
                 ("send_requirement", "publish"), ("publish", "bids_gateway"),
                 ("bids_gateway", "bid_received"), ("bid_received", "register_bid"),
                 ("register_bid", "bids_gateway"), ("bids_gateway", "tender_closes"), ("tender_closes", "has_bids"),
                 ("award", "valid_winner"), ("notify_start", "send_award"), ("send_award", "notify_end"),
                 ("notify_bidders", "standstill"), ("standstill", "contract"), ("contract", "start_meeting"),
                 ("start_meeting", "prepare_follow_up"), ("prepare_follow_up", "follow_up"),
                 ("follow_up", "placement_reported"), ("placement_reported", "count_placement"),
                 ("count_placement", "follow_up"), ("follow_up", "report_received"),
                 ("report_received", "count_report"), ("count_report", "follow_up"),
                 ("follow_up", "dropout_reported"), ("dropout_reported", "count_dropout"),
                 ("count_dropout", "follow_up"), ("follow_up", "deadline"), ("deadline", "which_deadline"),
                 ("mark_checked", "follow_up"), ("request_correction", "send_correction"),
                 ("send_correction", "correction_wait"), ("correction_wait", "answer_received"),
                 ("answer_received", "review_answer"), ("review_answer", "remedied"),
                 ("correction_wait", "correction_deadline_passed"), ("correction_deadline_passed", "sanction"),
                 ("sanction", "send_sanction"), ("send_sanction", "close_correction"),
                 ("close_correction", "follow_up"), ("final_report", "send_closed"), ("send_closed", "end")]:
        d.flow(a, z)
    d.flow("is_candidate", "needs_inventory", "ja", "candidate")
    d.flow("is_candidate", "end_not_candidate", "nej", default=True)
    d.flow("has_requirement", "send_requirement", "ja", "requirement_kind != 'none'")
    d.flow("has_requirement", "end_no_requirement", "inget krav", default=True)
    d.flow("which_deadline", "placed_in_time", "sex månader", "not first_placement_checked")
    d.flow("which_deadline", "final_report", "uppfyllelsedatum", default=True)
    d.flow("placed_in_time", "mark_checked", "ja",
           "any(p['start_date'] <= first_placement_due for p in placements)")
    d.flow("placed_in_time", "request_correction", "nej", default=True)
    d.flow("remedied", "close_correction", "ja", "remedied")
    d.flow("remedied", "sanction", "nej", default=True)
    return d


def supplier() -> Diagram:
    d = Diagram("supplier", "Leverantörsprocessen")
    d.documentation = "En instans per anbudsgivande leverantör och upphandling."
    d.facts = ["procurement_id", "supplier_id", "supplier_name", "vacancies"]
    declare(d, "bid_submitted", "award_decision", "candidate_proposal", "selection_decision",
            "placement_started", "placement_ended", "placement_ended_report", "monthly_report",
            "correction_request", "correction_answer", "sanction_decided", "follow_up_closed")
    d.lane("lane_support", "Stödfunktionen", "support_function", "'Upphandlingsbolaget'")
    d.lane("lane_supplier", "Leverantör", "supplier", "supplier_name", rows=4)
    d.lane("lane_matching", "Matchningsansvarig", "matching_body", "award['matching_body']")
    s, p, m = "lane_support", "lane_supplier", "lane_matching"

    d.node("start", "start", "Anbudsgivare", p, 0)
    user(d, "bid", "Lämna anbud", p, 1, form="bid")
    d.node("send_bid", "throw", "Anbud lämnat", p, 2, body=message_def(
        "send_bid", "bid_submitted",
        payload='{"procurement_id": procurement_id, "supplier_id": supplier_id, '
                '"supplier_name": supplier_name, "bid_reference": bid_reference}'))
    d.node("award_received", "catch", "Tilldelningsbeslut", p, 3,
           body=message_def("award_received", "award_decision", variable="award"))
    d.node("awarded", "xor", "Tilldelad?", p, 4)
    d.node("end_not_awarded", "end", "Ej tilldelad", p, 4, row=1)
    user(d, "first_meeting", "Första möte med matchningsansvarig", m, 5, form="first_meeting", due="P1M")
    d.node("meeting_overdue", "boundary", "En månad utan möte", m, 5, attached_to="first_meeting",
           attrs={"cancelActivity": "false"}, body=timer_def("meeting_overdue", "duration", '"P1M"'))
    user(d, "remind_meeting", "Påminn om första mötet", s, 6, form="meeting_reminder")
    d.node("end_reminded", "end", None, s, 7)
    user(d, "recruitment_need", "Anmäl rekryteringsbehov", p, 6, form="recruitment_need")
    # One open vacancy per position: a row for three cleaners is three vacancies to fill.
    d.node("number_vacancies", "script", "Numrera tjänster", p, 7, body=script(
        "slots = [v for v in vacancies for n in range(v['positions'])]\n"
        "vacancies = [dict(v, vacancy_id=procurement_id + '/' + supplier_id + '-' + str(i + 1)) "
        "for i, v in enumerate(slots)]"))
    d.node("split", "and", None, p, 8)
    # The vacancies: one waiting catch each, so the open vacancies are exactly these waits.
    d.node("fill_vacancy", "subprocess", "Tillsätt tjänst", s, 9, span=(7, 3),
           body=multi_instance("vacancies", "vacancy"))
    d.collections.append("vacancies")
    d.node("vacancy_start", "start", None, p, 9.1, parent="fill_vacancy")
    d.node("candidate_received", "receive", "Ta emot kandidatförslag", p, 10, parent="fill_vacancy",
           attrs={"messageRef": "msg_candidate_proposal"}, body=receive_extensions(
               "candidate", {"vacancy_id": "vacancy['vacancy_id']"}))
    d.node("no_candidate", "boundary", "Ingen kandidat på 30 dagar", p, 10, attached_to="candidate_received",
           attrs={"cancelActivity": "false"}, parent="fill_vacancy",
           body=timer_def("no_candidate", "duration", '"P30D"'))
    user(d, "vacancy_escalated", "Vakans utan kandidat", s, 11, form="vacancy_escalation", parent="fill_vacancy")
    d.node("escalation_end", "end", None, s, 12, parent="fill_vacancy")
    user(d, "decide_candidate", "Intervjua och besluta", p, 11, form="candidate_decision", parent="fill_vacancy",
         due="P14D")
    d.node("send_selection", "throw", "Urvalsbeslut", p, 12, parent="fill_vacancy", body=message_def(
        "send_selection", "selection_decision",
        payload='{"participant_id": candidate["participant_id"], "accepted": accepted, '
                '"placement_form": placement_form if accepted else None, '
                '"start_date": placement_start if accepted else None, "vacancy_id": vacancy["vacancy_id"], '
                '"supplier_id": supplier_id}'))
    d.node("accepted_gw", "xor", "Antagen?", p, 13, parent="fill_vacancy")
    d.node("send_started", "throw", "Placering startad", p, 13.8, parent="fill_vacancy", body=message_def(
        "send_started", "placement_started",
        payload='{"procurement_id": procurement_id, "supplier_id": supplier_id, '
                '"participant_id": candidate["participant_id"], "vacancy_id": vacancy["vacancy_id"], '
                '"placement_form": placement_form, "extent_percent": extent_percent, '
                '"start_date": placement_start, "end_date": placement_end}'))
    user(d, "follow_placement", "Följ upp placering", p, 14.6, parent="fill_vacancy", form="placement_report")
    d.node("dropout_gw", "xor", "Avbrott?", p, 14.6, row=1, parent="fill_vacancy")
    d.node("send_ended", "throw", "Avbrott till deltagare", p, 13.6, row=1, parent="fill_vacancy",
           body=message_def("send_ended", "placement_ended",
                            payload='{"participant_id": candidate["participant_id"], "date": ended_on, '
                                    '"reason": end_reason}'))
    d.node("send_ended_report", "throw", "Avbrott till upphandlingen", p, 12.6, row=1, parent="fill_vacancy",
           body=message_def("send_ended_report", "placement_ended_report",
                            payload='{"procurement_id": procurement_id, "supplier_id": supplier_id, '
                                    '"participant_id": candidate["participant_id"], "date": ended_on, '
                                    '"reason": end_reason}'))
    d.node("vacancy_end", "end", "Tjänsten tillsatt", p, 15.3, row=1, parent="fill_vacancy")
    d.node("vacancies_done", "end", "Tjänsterna tillsatta", p, 16.2)
    # Reporting while the contract runs, until the follow-up is closed.
    d.node("reporting", "event", "Rapportering", p, 9, row=2)
    d.node("month_passed", "catch", "En månad", p, 10, row=2, body=timer_def("month_passed", "duration", '"P1M"'))
    user(d, "monthly_report", "Lämna månadsrapport", p, 11, row=2, form="monthly_report", due="P10D")
    d.node("send_report", "throw", "Månadsrapport", p, 12, row=2, body=message_def(
        "send_report", "monthly_report",
        payload='{"procurement_id": procurement_id, "supplier_id": supplier_id, '
                '"months_delivered": months_delivered, "active_placements": active_placements}'))
    d.node("correction_received", "catch", "Begäran om rättelse", p, 10, row=3,
           body=message_def("correction_received", "correction_request", variable="correction"))
    user(d, "answer_correction", "Besvara begäran om rättelse", p, 11, row=3, form="correction_answer")
    d.node("send_answer", "throw", "Svar på rättelse", p, 12, row=3, body=message_def(
        "send_answer", "correction_answer",
        payload='{"procurement_id": procurement_id, "supplier_id": supplier_id, "measures": measures}'))
    d.node("sanction_received", "catch", "Sanktionsbeslut", p, 13, row=3,
           body=message_def("sanction_received", "sanction_decided", variable="sanction"))
    user(d, "note_sanction", "Ta del av sanktionsbeslut", p, 14, row=3, form="sanction_notice")
    d.node("closed_received", "catch", "Uppföljning avslutad", p, 13, row=2,
           body=message_def("closed_received", "follow_up_closed", variable="closing"))
    d.node("end_closed", "end", "Avtalet avslutat", p, 14, row=2, body=TERMINATE.format(id="end_closed"))

    d.shift(3, 1)
    d.node("award_wait", "event", "Besked eller tidsgräns", p, 3)
    d.node("award_timeout", "catch", "Inget besked på sex månader", p, 4, row=2,
           body=timer_def("award_timeout", "duration", '"P6M"'))
    d.node("end_no_answer", "end", "Inget besked", p, 5, row=2)
    d.flow("award_wait", "award_received")
    d.flow("award_wait", "award_timeout")
    d.flow("award_timeout", "end_no_answer")
    for a, z in [("start", "bid"), ("bid", "send_bid"), ("send_bid", "award_wait"),
                 ("award_received", "awarded"), ("first_meeting", "recruitment_need"),
                 ("meeting_overdue", "remind_meeting"), ("remind_meeting", "end_reminded"),
                 ("recruitment_need", "number_vacancies"), ("number_vacancies", "split"),
                 ("split", "fill_vacancy"), ("fill_vacancy", "vacancies_done"), ("split", "reporting"),
                 ("vacancy_start", "candidate_received"), ("candidate_received", "decide_candidate"),
                 ("no_candidate", "vacancy_escalated"), ("vacancy_escalated", "escalation_end"),
                 ("decide_candidate", "send_selection"), ("send_selection", "accepted_gw"),
                 ("send_started", "follow_placement"), ("follow_placement", "dropout_gw"),
                 ("send_ended", "send_ended_report"), ("send_ended_report", "candidate_received"),
                 ("reporting", "month_passed"), ("month_passed", "monthly_report"),
                 ("monthly_report", "send_report"), ("send_report", "reporting"),
                 ("reporting", "correction_received"), ("correction_received", "answer_correction"),
                 ("answer_correction", "send_answer"), ("send_answer", "reporting"),
                 ("reporting", "sanction_received"), ("sanction_received", "note_sanction"),
                 ("note_sanction", "reporting"), ("reporting", "closed_received"),
                 ("closed_received", "end_closed")]:
        d.flow(a, z)
    d.flow("awarded", "first_meeting", "ja", "award['awarded']")
    d.flow("awarded", "end_not_awarded", "nej", default=True)
    d.flow("accepted_gw", "send_started", "antagen", "accepted")
    d.flow("accepted_gw", "candidate_received", "ej antagen", default=True)
    d.flow("dropout_gw", "send_ended", "avbrott", "outcome == 'dropout'")
    d.flow("dropout_gw", "vacancy_end", "slutförd", default=True)
    return d


def target_group() -> Diagram:
    d = Diagram("target_group", "Målgruppsprocessen")
    d.documentation = ("En instans per deltagare: identifiering, bedömning, basutbildning, matchning, "
                       "praktik, anställning.")
    d.facts = ["participant_id", "procurement_id", "district", "case_owner", "target_group", "gender",
               "continue_programme", "training_completed", "outcome", "next_step"]
    declare(d, "requirement_decided", "candidate_proposal", "selection_decision", "placement_ended")
    d.lane("lane_case_owner", "Stadsdelsförvaltning / Arbetsförmedlingen", "case_owner", "case_owner", rows=2)
    d.lane("lane_fk", "Försäkringskassan", "social_insurance", "'Försäkringskassan'")
    d.lane("lane_coordination", "Samordningsförbund", "coordination_association", "coordination_association")
    d.lane("lane_adult_education", "Vuxenutbildning", "adult_education", "'Vuxenutbildningsförvaltningen'")
    d.lane("lane_matching", "Matchningsansvarig", "matching_body", "requirement['matching_body']", rows=2)
    c, f, k, v, m = "lane_case_owner", "lane_fk", "lane_coordination", "lane_adult_education", "lane_matching"

    d.node("start", "start", "Deltagare", c, 0)
    user(d, "identify", "Identifiera deltagare", c, 1, form="identification", due="P14D")
    d.node("requirement_received", "catch", "Krav beslutat", c, 2,
           body=message_def("requirement_received", "requirement_decided", variable="requirement"))
    user(d, "assess", "Utredning och bedömning", c, 3, form="assessment", due="P1M")
    d.node("continue_after_assessment", "xor", "Fortsätter?", c, 4)
    d.node("needs_fk", "xor", "Funktionsnedsättning?", c, 5)
    user(d, "work_ability", "Bedömning av arbetsförmåga", f, 6, form="work_ability", due="P1M")
    d.node("assessed", "xor", None, c, 7)
    user(d, "coordinate", "Samordna insatser", k, 8, form="coordination", due="P14D")
    user(d, "training", "Basutbildning", v, 9, form="basic_training", due="P6M")
    d.node("training_long", "boundary", "Förväntad längd passerad", v, 9, attached_to="training",
           attrs={"cancelActivity": "false"}, body=timer_def("training_long", "duration", '"P12M"'))
    user(d, "training_review", "Följ upp utbildningens längd", c, 11, row=1, form="training_review")
    d.node("training_review_end", "end", None, c, 12, row=1)
    d.node("trained", "xor", "Utbildning klar?", v, 10)
    user(d, "match", "Matcha mot ledig tjänst", m, 11, form="matching", due="P1M")
    d.node("send_candidate", "throw", "Kandidatförslag", m, 12, body=message_def(
        "send_candidate", "candidate_proposal",
        payload='{"vacancy_id": vacancy_id, "participant_id": participant_id, "cv": cv_summary}'))
    d.node("selection_received", "catch", "Urvalsbeslut", m, 13,
           body=message_def("selection_received", "selection_decision", variable="selection"))
    d.node("selected", "xor", "Antagen?", m, 14)
    user(d, "placement", "Praktik, trainee eller anställning pågår", m, 15, form="placement_outcome", due="P6M")
    d.node("placement_ended", "boundary", "Placering avbruten", m, 15, attached_to="placement",
           body=message_def("placement_ended", "placement_ended", variable="ended"))
    user(d, "after_dropout", "Ny matchning eller avslut", c, 16, row=1, form="after_dropout")
    d.node("rematch", "xor", "Åter till matchning?", c, 17, row=1)
    d.node("end_employed", "end", "Anställning", m, 16)
    d.node("end_dropout", "end", "Avbrott", c, 18, row=1)
    d.node("end_dropout_assessment", "end", "Avbrott i utredning", c, 4, row=1)
    d.node("end_dropout_training", "end", "Avbrott i utbildning", v, 11)

    d.shift(2, 1)
    d.node("requirement_wait", "event", "Krav eller tidsgräns", c, 2)
    d.node("requirement_timeout", "catch", "Inget krav på sex månader", c, 3, row=1,
           body=timer_def("requirement_timeout", "duration", '"P6M"'))
    d.node("end_not_relevant", "end", "Ej aktuell", c, 4, row=1)
    d.shift(14, 1)
    d.node("selection_wait", "event", "Besked eller tidsgräns", m, 14)
    d.node("selection_timeout", "catch", "Inget besked på 60 dagar", m, 15, row=1,
           body=timer_def("selection_timeout", "duration", '"P60D"'))
    d.flow("requirement_wait", "requirement_received")
    d.flow("requirement_wait", "requirement_timeout")
    d.flow("requirement_timeout", "end_not_relevant")
    d.flow("selection_wait", "selection_received")
    d.flow("selection_wait", "selection_timeout")
    d.flow("selection_timeout", "match")
    for a, z in [("start", "identify"), ("identify", "requirement_wait"), ("requirement_received", "assess"),
                 ("assess", "continue_after_assessment"), ("work_ability", "assessed"), ("assessed", "coordinate"),
                 ("coordinate", "training"), ("training", "trained"), ("training_long", "training_review"),
                 ("training_review", "training_review_end"), ("match", "send_candidate"),
                 ("send_candidate", "selection_wait"), ("selection_received", "selected"),
                 ("placement", "end_employed"), ("placement_ended", "after_dropout"),
                 ("after_dropout", "rematch")]:
        d.flow(a, z)
    d.flow("continue_after_assessment", "needs_fk", "ja", "continue_programme")
    d.flow("continue_after_assessment", "end_dropout_assessment", "avbrott", default=True)
    d.flow("needs_fk", "work_ability", "ja", "target_group == 'disability'")
    d.flow("needs_fk", "assessed", "nej", default=True)
    d.flow("trained", "match", "ja", "training_completed")
    d.flow("trained", "end_dropout_training", "avbrott", default=True)
    d.flow("selected", "placement", "ja", "selection['accepted']")
    d.flow("selected", "match", "nej", default=True)
    d.flow("rematch", "match", "ja", "next_step == 'rematch'")
    d.flow("rematch", "end_dropout", "nej", default=True)
    return d


def main() -> int:
    problems = 0
    for diagram in (procurement(), supplier(), target_group()):
        for a, b in diagram.overlaps():
            print(f"{diagram.process_id}: {a} overlaps {b}", file=sys.stderr)
            problems += 1
        (OUT / f"{diagram.process_id}.bpmn").write_text(diagram.to_xml(), encoding="utf-8")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
