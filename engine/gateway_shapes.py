"""Shapes of gateways SpiffWorkflow cannot run as BPMN means them, refused at deploy with the
element and line (engine/definitions.py calls these for every process)."""
from __future__ import annotations

from lxml import etree

from .errors import Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def gateway_problems(process: etree._Element, filename) -> list[Problem]:
    """SpiffWorkflow keeps one due time per event-based gateway, so it can wait for one timer."""
    problems = []
    targets = {flow.get("id"): flow.get("targetRef") for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow")}
    elements = {node.get("id"): node for node in process.iter() if node.get("id")}
    for gateway in process.iter(f"{{{BPMN_NS}}}eventBasedGateway"):
        outgoing = [targets.get(ref.text.strip()) for ref in gateway.findall(f"{{{BPMN_NS}}}outgoing")]
        if not outgoing:
            outgoing = [flow.get("targetRef") for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow")
                        if flow.get("sourceRef") == gateway.get("id")]
        timers = [t for t in outgoing if t in elements
                  and elements[t].find(f"{{{BPMN_NS}}}timerEventDefinition") is not None]
        if len(timers) > 1:
            problems.append(Problem(f"an event-based gateway can wait for one timer only, not {len(timers)} "
                                    f"({', '.join(timers)})", gateway.get("id"), gateway.sourceline, filename))
    return problems


def join_in_loop_problems(process: etree._Element, filename) -> list[Problem]:
    """A parallel or inclusive join with two or more inputs inside a loop: SpiffWorkflow counts
    a branch's arrival from an earlier pass as arrived, so a later pass's join fires before its
    own branches arrive. (A gateway that only enters a loop, one input from inside it, is fine.)"""
    successors: dict[str, set[str]] = {}
    sources: dict[str, list[str]] = {}
    for flow in process.iter(f"{{{BPMN_NS}}}sequenceFlow"):
        successors.setdefault(flow.get("sourceRef"), set()).add(flow.get("targetRef"))
        sources.setdefault(flow.get("targetRef"), []).append(flow.get("sourceRef"))
    for event in process.iter(f"{{{BPMN_NS}}}boundaryEvent"):  # an activity goes on to its events too
        successors.setdefault(event.get("attachedToRef"), set()).add(event.get("id"))
    problems = []
    for gateway in [*process.iter(f"{{{BPMN_NS}}}parallelGateway"), *process.iter(f"{{{BPMN_NS}}}inclusiveGateway")]:
        reachable, frontier = set(), [gateway.get("id")]
        while frontier:
            for node in successors.get(frontier.pop(), ()):
                if node not in reachable:
                    reachable.add(node)
                    frontier.append(node)
        inside = [source for source in sources.get(gateway.get("id"), []) if source in reachable]
        if len(inside) >= 2:
            problems.append(Problem(
                "a join inside a loop is not supported: SpiffWorkflow would count a branch's arrival from an "
                "earlier pass, so the join would fire early; put the split and the join in a subprocess inside "
                "the loop (each pass gets its own)", gateway.get("id"), gateway.sourceline, filename))
    return problems
