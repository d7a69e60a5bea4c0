"""Reading diagrams: safe XML parsing, Kedja's own metadata, and the specs (engine/spiff/parsing.py).

A diagram is untrusted input. It is size-checked, then gated by defusedxml (no DOCTYPE, no
entities), then parsed by lxml with entity resolution and network access off, and only then
handed to SpiffWorkflow's parser. Every expression in it is checked by the sandbox here, at
deploy time, so that a diagram that could not run is refused with the element and line.

Kedja's extension attributes (namespace `KEDJA_NS`):
- on a lane: `kedja:role` (the role the lane names) and `kedja:organisation` (an expression
  over the instance's data that says which organisation fills the role in this instance);
- on a user task: `kedja:formKey` and `kedja:dueIn` (an expression giving an ISO duration);
- on a message: `kedja:external="true"` (it may come from or go to a system outside the set),
  `kedja:retain="true"` (once thrown it is also kept for catches that begin waiting later);
- on a process: `kedja:facts="name ..."`, the variables kept in `instance_facts` for follow-up.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException
from lxml import etree

from . import sandbox
from .errors import DeploymentRejected, Problem
from .gateway_shapes import BPMN_NS, gateway_problems, join_in_loop_problems
from .spiff.parsing import Specs

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
KEDJA_NS = "https://kedja.goteborg.se/bpmn/1.0"
NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}

# Where expressions live in a diagram, and how each is run: (xpath, compile mode).
EXPRESSION_PLACES = (
    (".//bpmn:scriptTask/bpmn:script", "exec"),
    (".//spiffworkflow:preScript", "exec"),
    (".//spiffworkflow:postScript", "exec"),
    (".//bpmn:conditionExpression", "eval"),
    (".//bpmn:timeDuration", "eval"),
    (".//bpmn:timeDate", "eval"),
    (".//bpmn:timeCycle", "eval"),
    (".//spiffworkflow:messagePayload", "eval"),
    (".//spiffworkflow:processVariableCorrelation/spiffworkflow:expression", "eval"),
    (".//bpmn:correlationPropertyRetrievalExpression/*", "eval"),
    (".//bpmn:loopCardinality", "eval"),
    (".//bpmn:completionCondition", "eval"),
)
# Encodings whose every file is also a UTF-8 file (ASCII is a subset of UTF-8).
UTF8_COMPATIBLE = ("UTF-8", "UTF8", "ASCII", "US-ASCII", "ANSI_X3.4-1968", "ISO646-US")
# The account roles that may be named in kedja:startableBy (as in engine.accounts.ROLES).
ACCOUNT_ROLES = ("caseworker", "process_owner", "admin", "supplier")
CATCH_TAGS = ("startEvent", "intermediateCatchEvent", "boundaryEvent", "receiveTask")
THROW_TAGS = ("intermediateThrowEvent", "endEvent", "sendTask")


def _kedja(name: str) -> str:
    return f"{{{KEDJA_NS}}}{name}"


@dataclass(frozen=True)
class LaneRule:
    lane: str
    role: str | None
    organisation: str | None  # expression over instance data


@dataclass(frozen=True)
class UserTaskInfo:
    element_id: str
    name: str | None
    form_key: str | None
    due_in: str | None  # expression giving an ISO 8601 duration
    lane: LaneRule | None
    phase: str | None = None  # kedja:phase, the step of the process the task belongs to (for people)


@dataclass(frozen=True)
class MessageUse:
    """One message event of the process: which message, which correlation properties."""

    element_id: str
    message: str
    properties: tuple[str, ...]
    # property id -> expression over process data, when the event declares one
    process_expressions: tuple[tuple[str, str], ...] = ()
    line: int | None = None


@dataclass
class ProcessModel:
    """What Kedja knows of one executable process beyond SpiffWorkflow's spec."""

    key: str
    name: str | None
    user_tasks: dict[str, UserTaskInfo] = field(default_factory=dict)
    catches: dict[str, MessageUse] = field(default_factory=dict)
    throws: dict[str, MessageUse] = field(default_factory=dict)
    message_starts: dict[str, MessageUse] = field(default_factory=dict)  # message name -> start
    retained_messages: frozenset[str] = frozenset()  # thrown messages marked kedja:retain="true"
    facts: tuple[str, ...] = ()  # variables kept for follow-up (kedja:facts on the process)
    # Account roles that may start it by hand (kedja:startableBy); administrators always may.
    startable_by: tuple[str, ...] = ()
    # The form a person fills in to start it (kedja:formKey on its plain start event).
    start_form: str | None = None
    start_element: str | None = None

    def form_uses(self) -> list[tuple[str, str | None]]:
        """(element id, form key) of every form the process shows: the start form, the user tasks'."""
        uses = [(self.start_element, self.start_form)] if self.start_form else []
        return uses + [(task.element_id, task.form_key) for task in self.user_tasks.values()]


@dataclass
class ParsedFile:
    xml: str
    checksum: str
    models: dict[str, ProcessModel]
    external_messages: set[str]
    specs: Specs


def checksum_of(xml: str) -> str:
    return hashlib.sha256(xml.encode("utf-8")).hexdigest()


def read_xml(data: bytes | str, max_bytes: int, filename: str | None = None) -> etree._Element:
    """Parse untrusted XML or raise DeploymentRejected saying why."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise DeploymentRejected([Problem(f"file is {len(raw)} bytes; the limit is {max_bytes}", file=filename)])
    try:
        safe_et.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as err:
        raise DeploymentRejected([Problem(
            f"DOCTYPE and entity declarations are not allowed ({type(err).__name__})", file=filename)]) from err
    except safe_et.ParseError as err:
        line = err.position[0] if getattr(err, "position", None) else None
        raise DeploymentRejected([Problem(f"not well-formed XML: {err}", line=line, file=filename)]) from err
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as err:  # e.g. nesting deeper than lxml's safe limit
        raise DeploymentRejected([Problem(f"not well-formed XML: {err.msg}", line=err.lineno,
                                          file=filename)]) from err
    encoding = (root.getroottree().docinfo.encoding or "UTF-8").upper()
    if encoding not in UTF8_COMPATIBLE:
        raise DeploymentRejected([Problem(f"the file is {encoding}; diagrams must be UTF-8", file=filename)])
    return root


def _owning_element(node: etree._Element) -> etree._Element | None:
    """The flow element (task, event, sequence flow) an expression belongs to."""
    owner = node
    while owner is not None and (owner.get("id") is None
                                 or etree.QName(owner).localname.endswith("EventDefinition")):
        owner = owner.getparent()
    return owner


def _expression_problems(root: etree._Element, filename: str | None) -> list[Problem]:
    problems = []
    for path, mode in EXPRESSION_PLACES:
        for node in root.xpath(path, namespaces=NS):
            if not (node.text or "").strip():
                continue
            owner = _owning_element(node)
            for issue in sandbox.check_source(node.text.strip() if mode == "eval" else node.text, mode):
                problems.append(Problem(f"expression refused: {issue}", owner.get("id") if owner is not None
                                        else None, node.sourceline, filename))
    for node in root.iter(f"{{{BPMN_NS}}}lane", f"{{{BPMN_NS}}}userTask"):
        for attribute in ("organisation", "dueIn"):
            source = node.get(_kedja(attribute))
            if source:
                for issue in sandbox.check_source(source.strip(), "eval"):
                    problems.append(Problem(f"kedja:{attribute} refused: {issue}", node.get("id"),
                                            node.sourceline, filename))
    return problems


def _message_properties(root: etree._Element) -> dict[str, tuple[str, ...]]:
    """message id -> ids of the correlation properties that have a retrieval expression for it."""
    props: dict[str, list[str]] = {}
    for prop in root.iter(f"{{{BPMN_NS}}}correlationProperty"):
        for expr in prop.iter(f"{{{BPMN_NS}}}correlationPropertyRetrievalExpression"):
            props.setdefault(expr.get("messageRef"), []).append(prop.get("id"))
    return {key: tuple(sorted(values)) for key, values in props.items()}


def _message_use(event: etree._Element, definition: etree._Element, names: dict[str, str],
                 properties: dict[str, tuple[str, ...]]) -> MessageUse | None:
    ref = definition.get("messageRef")
    if ref not in names:
        return None
    expressions = []
    for corr in event.iter(f"{{{SPIFF_NS}}}processVariableCorrelation"):
        prop = corr.find(f"{{{SPIFF_NS}}}propertyId")
        expr = corr.find(f"{{{SPIFF_NS}}}expression")
        if prop is not None and expr is not None:
            expressions.append((prop.text.strip(), expr.text.strip()))
    return MessageUse(event.get("id"), names[ref], properties.get(ref, ()), tuple(expressions),
                      event.sourceline)


def _lane_rules(process: etree._Element) -> dict[str, LaneRule]:
    """flow node id -> the rule of the innermost lane that holds it."""
    rules: dict[str, LaneRule] = {}
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        rule = LaneRule(lane.get("name") or lane.get("id"), lane.get(_kedja("role")),
                        lane.get(_kedja("organisation")))
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
            rules[(ref.text or "").strip()] = rule  # iter() is depth-first: inner lanes win
    return rules


def _process_model(process: etree._Element, names, properties, filename, problems) -> ProcessModel:
    problems.extend(gateway_problems(process, filename))
    problems.extend(join_in_loop_problems(process, filename))
    starters = tuple((process.get(_kedja("startableBy")) or "").split())
    unknown = [role for role in starters if role not in ACCOUNT_ROLES]
    if unknown:
        problems.append(Problem(f"kedja:startableBy names unknown roles {', '.join(unknown)} (use "
                                f"{', '.join(ACCOUNT_ROLES)})", process.get("id"), process.sourceline, filename))
    model = ProcessModel(process.get("id"), process.get("name"),
                         facts=tuple((process.get(_kedja("facts")) or "").split()), startable_by=starters)
    lanes = _lane_rules(process)
    for start in process.findall(f"{{{BPMN_NS}}}startEvent"):  # the process's own, not a subprocess's
        if start.get(_kedja("formKey")):
            model.start_form, model.start_element = start.get(_kedja("formKey")), start.get("id")
    for task in process.iter(f"{{{BPMN_NS}}}userTask"):
        rule = lanes.get(task.get("id"))
        if rule is None:
            problems.append(Problem("user task is in no lane; every user task needs a responsible body",
                                    task.get("id"), task.sourceline, filename))
        elif not rule.role or not rule.organisation:
            problems.append(Problem(f"lane '{rule.lane}' needs kedja:role and kedja:organisation",
                                    task.get("id"), task.sourceline, filename))
        model.user_tasks[task.get("id")] = UserTaskInfo(
            task.get("id"), task.get("name"), task.get(_kedja("formKey")), task.get(_kedja("dueIn")), rule,
            task.get(_kedja("phase")))
    for tag in CATCH_TAGS + THROW_TAGS:
        for event in process.iter(f"{{{BPMN_NS}}}{tag}"):
            definitions = event.findall(f"{{{BPMN_NS}}}messageEventDefinition")
            if not definitions and tag in ("receiveTask", "sendTask") and event.get("messageRef"):
                definitions = [event]
            for position, definition in enumerate(definitions):  # an event may have several
                use = _message_use(event, definition, names, properties)
                if use is None:
                    problems.append(Problem("message event without a known messageRef", event.get("id"),
                                            event.sourceline, filename))
                    continue
                # the first message of an event by its id, any further one by id#message
                key = use.element_id if position == 0 else f"{use.element_id}#{use.message}"
                if tag == "startEvent":
                    model.message_starts[use.message] = use
                elif tag in CATCH_TAGS:
                    model.catches[key] = use
                else:
                    model.throws[key] = use
    return model


def _called(process: etree._Element) -> set[str]:
    return {activity.get("calledElement") for activity in process.iter(f"{{{BPMN_NS}}}callActivity")
            if activity.get("calledElement")}


def _merge_called(models: dict[str, ProcessModel], processes: dict, names, properties, filename,
                  problems: list[Problem]) -> None:
    """The user tasks and message events of the processes a process calls (call activities,
    in the same file) are its own too: their tasks resolve to the called process's own lanes,
    which are checked like any other (a called user task in no lane is refused)."""
    sub_models: dict[str, ProcessModel] = {}
    for key, model in models.items():
        seen, frontier = set(), list(_called(processes[key]))
        while frontier:
            called = frontier.pop()
            if called in seen or called == key or called not in processes:
                continue
            seen.add(called)
            frontier.extend(_called(processes[called]))
            if called not in sub_models:
                sub_models[called] = models.get(called) or _process_model(
                    processes[called], names, properties, filename, problems)
            sub = sub_models[called]
            for target, source in ((model.user_tasks, sub.user_tasks), (model.catches, sub.catches),
                                   (model.throws, sub.throws)):
                for element, info in source.items():
                    target.setdefault(element, info)


def parse_file(data: bytes | str, max_bytes: int, filename: str | None = None) -> ParsedFile:
    """Parse and check one diagram; raise DeploymentRejected with every problem found."""
    root = read_xml(data, max_bytes, filename)
    xml = data.decode("utf-8", errors="strict") if isinstance(data, bytes) else data  # checked UTF-8 above
    problems = _expression_problems(root, filename)
    specs = Specs()
    if refusal := specs.add(root, filename):
        raise DeploymentRejected(problems + [refusal])
    names = {m.get("id"): m.get("name") or m.get("id") for m in root.iter(f"{{{BPMN_NS}}}message")}
    external = {m.get("name") or m.get("id") for m in root.iter(f"{{{BPMN_NS}}}message")
                if m.get(_kedja("external")) == "true"}
    retained = frozenset(m.get("name") or m.get("id") for m in root.iter(f"{{{BPMN_NS}}}message")
                         if m.get(_kedja("retain")) == "true")
    properties = _message_properties(root)
    models = {}
    processes = {process.get("id"): process for process in root.iter(f"{{{BPMN_NS}}}process")}
    for key, process in processes.items():
        if process.get("isExecutable", "true") == "false":
            continue
        models[key] = _process_model(process, names, properties, filename, problems)
        models[key].retained_messages = retained
    _merge_called(models, processes, names, properties, filename, problems)
    if not models:
        problems.append(Problem("no executable process in the file", file=filename))
    problems += specs.problems(models, filename)
    if problems:
        raise DeploymentRejected(problems)
    return ParsedFile(xml, checksum_of(xml), models, external, specs)


def check_set(files: dict[str, ParsedFile]) -> list[Problem]:
    """Cross-file rules: every thrown message has a catcher, every catcher a thrower (or the
    message is declared external), and both ends name the same correlation properties."""
    problems: list[Problem] = []
    throws: dict[str, list[tuple[str, MessageUse]]] = {}
    catches: dict[str, list[tuple[str, MessageUse]]] = {}
    external: set[str] = set()
    for filename, parsed in files.items():
        external |= parsed.external_messages
        for model in parsed.models.values():
            for use in model.throws.values():
                throws.setdefault(use.message, []).append((filename, use))
            for use in list(model.catches.values()) + list(model.message_starts.values()):
                catches.setdefault(use.message, []).append((filename, use))
    for name, uses in throws.items():
        if name not in catches and name not in external:
            for filename, use in uses:
                problems.append(Problem(f"message '{name}' is thrown but nothing in the set catches it",
                                        use.element_id, use.line, filename))
    for name, uses in catches.items():
        if name not in throws and name not in external:
            for filename, use in uses:
                problems.append(Problem(f"message '{name}' is caught but nothing in the set throws it "
                                        "(mark the message kedja:external=\"true\" if a system sends it)",
                                        use.element_id, use.line, filename))
    for name in set(throws) | set(catches):
        uses = throws.get(name, []) + catches.get(name, [])
        expected = uses[0][1].properties
        for filename, use in uses[1:]:
            if use.properties != expected:
                problems.append(Problem(
                    f"message '{name}' correlates on {list(use.properties)} here but on "
                    f"{list(expected)} at {uses[0][1].element_id} ({uses[0][0]})", use.element_id, use.line,
                    filename))
    return problems
