"""Writes BPMN with diagram interchange from a compact description (authoring aid).

The model's diagrams were first written with this builder (see `model.py` beside it) so that
every shape and edge is laid out on a grid: lanes are horizontal bands, nodes sit in columns,
edges run orthogonally. Once a diagram is changed in the modeller, the .bpmn file in
`processes/` is the truth and this description is history.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

COL_W, LANE_H, LANE_LABEL_W, TOP = 150, 150, 30, 40
SIZES = {"task": (110, 80), "event": (36, 36), "gateway": (50, 50)}
TASK_TAGS = {"user": "userTask", "script": "scriptTask", "task": "task", "receive": "receiveTask"}
EVENT_TAGS = {"start": "startEvent", "end": "endEvent", "catch": "intermediateCatchEvent",
              "throw": "intermediateThrowEvent", "boundary": "boundaryEvent"}
GATEWAY_TAGS = {"xor": "exclusiveGateway", "event": "eventBasedGateway", "and": "parallelGateway"}


@dataclass
class Node:
    id: str
    kind: str  # user|script|task|start|end|catch|throw|boundary|xor|event|and|subprocess
    name: str | None
    lane: str
    col: float
    row: int = 0
    attrs: dict = field(default_factory=dict)
    body: str = ""  # inner XML (definitions, scripts, extension elements)
    attached_to: str | None = None
    parent: str | None = None  # id of the expanded subprocess holding it
    span: tuple[int, int] = (1, 1)  # columns, rows (subprocesses)

    @property
    def tag(self) -> str:
        if self.kind == "subprocess":
            return "subProcess"
        return TASK_TAGS.get(self.kind) or EVENT_TAGS.get(self.kind) or GATEWAY_TAGS[self.kind]

    @property
    def size(self) -> tuple[int, int]:
        if self.kind == "subprocess":
            return (self.span[0] * COL_W - 30, self.span[1] * LANE_H - 40)
        if self.kind in TASK_TAGS:
            return SIZES["task"]
        return SIZES["event"] if self.kind in EVENT_TAGS else SIZES["gateway"]


@dataclass
class Flow:
    id: str
    source: str
    target: str
    name: str | None = None
    condition: str | None = None
    default: bool = False


class Diagram:
    def __init__(self, process_id: str, name: str) -> None:
        self.process_id, self.name = process_id, name
        self.lanes: list[tuple[str, str, str, str, int]] = []  # id, name, role, organisation, rows
        self.nodes: dict[str, Node] = {}
        self.flows: list[Flow] = []
        self.messages: dict[str, tuple[str, bool]] = {}  # message name -> (property ids, external)
        self.properties: dict[str, dict[str, str]] = {}  # property -> {message name: expression}
        self.documentation: str = ""
        self.facts: list[str] = []  # variables kept for the follow-up figures
        # Collections a multi-instance activity iterates over. loopDataInputRef is a reference
        # by id in BPMN; SpiffWorkflow reads it as a variable name. A data object of that id
        # makes both true, so bpmn-js (the modeller) keeps the reference instead of dropping it.
        self.collections: list[str] = []

    # --- description --------------------------------------------------------------------
    def lane(self, lane_id: str, name: str, role: str, organisation: str, rows: int = 1) -> None:
        self.lanes.append((lane_id, name, role, organisation, rows))

    def message(self, name: str, properties: dict[str, str], external: bool = False) -> None:
        """A message and how each correlation property is read from its payload."""
        self.messages[name] = (tuple(properties), external)
        for prop, expression in properties.items():
            self.properties.setdefault(prop, {})[name] = expression

    def node(self, node_id: str, kind: str, name: str | None, lane: str, col: float, row: int = 0,
             **kwargs) -> Node:
        node = Node(node_id, kind, name, lane, col, row, **kwargs)
        self.nodes[node_id] = node
        return node

    def shift(self, from_col: float, by: float, keep: tuple[str, ...] = ()) -> None:
        """Move every node at or right of `from_col` right by `by` columns (making room)."""
        for node in self.nodes.values():
            if node.col >= from_col and node.id not in keep:
                node.col += by

    def flow(self, source: str, target: str, name: str | None = None, condition: str | None = None,
             default: bool = False) -> None:
        self.flows.append(Flow(f"flow_{source}_{target}", source, target, name, condition, default))

    # --- layout -------------------------------------------------------------------------
    def _lane_top(self, lane_id: str) -> int:
        top = TOP
        for lid, *_rest, rows in self.lanes:
            if lid == lane_id:
                return top
            top += rows * LANE_H
        raise KeyError(lane_id)

    def bounds(self, node: Node) -> tuple[int, int, int, int]:
        w, h = node.size
        if node.attached_to:
            hx, hy, hw, hh = self.bounds(self.nodes[node.attached_to])
            return (hx + hw - w - 8, hy + hh - h // 2, w, h)
        x_center = LANE_LABEL_W + 40 + int(node.col * COL_W) + 55
        if node.kind == "subprocess":
            x = LANE_LABEL_W + 40 + int(node.col * COL_W)
            y = self._lane_top(node.lane) + node.row * LANE_H + 20
            return (x, y, w, h)
        y_center = self._lane_top(node.lane) + node.row * LANE_H + LANE_H // 2
        return (x_center - w // 2, y_center - h // 2, w, h)

    def _waypoints(self, flow: Flow) -> list[tuple[int, int]]:
        sx, sy, sw, sh = self.bounds(self.nodes[flow.source])
        tx, ty, tw, th = self.bounds(self.nodes[flow.target])
        if self.nodes[flow.source].attached_to:  # leave a boundary event downwards
            start = (sx + sw // 2, sy + sh)
            end = (tx, ty + th // 2)
            if end[1] > start[1]:
                return [start, (start[0], end[1]), end]
            return [start, (start[0], start[1] + 20), (tx - 20, start[1] + 20), (tx - 20, end[1]), end]
        start, end = (sx + sw, sy + sh // 2), (tx, ty + th // 2)
        if tx > sx + sw:  # forwards
            if start[1] == end[1]:
                return [start, end]
            mid = (start[0] + end[0]) // 2 if tx - (sx + sw) > 40 else start[0] + 20
            return [start, (mid, start[1]), (mid, end[1]), end]
        # backwards: under both shapes, then up into the target's bottom
        low = max(sy + sh, ty + th) + 22
        return [(sx + sw // 2, sy + sh), (sx + sw // 2, low), (tx + tw // 2, low), (tx + tw // 2, ty + th)]

    # --- output -------------------------------------------------------------------------
    def _node_xml(self, node: Node, indent: str) -> str:
        attrs = {"id": node.id}
        if node.name:
            attrs["name"] = node.name
        if node.attached_to:
            attrs["attachedToRef"] = node.attached_to
        attrs.update(node.attrs)
        default = next((f.id for f in self.flows if f.source == node.id and f.default), None)
        if default:
            attrs["default"] = default
        text = " ".join(f"{k}={quoteattr(str(v))}" for k, v in attrs.items())
        inner = node.body
        if node.kind == "subprocess":
            inner += "".join(self._node_xml(child, indent + "  ") for child in self.nodes.values()
                             if child.parent == node.id)
            inner += "".join(self._flow_xml(f, indent + "  ") for f in self.flows
                             if self.nodes[f.source].parent == node.id)
        if not inner:
            return f"{indent}<bpmn:{node.tag} {text}/>\n"
        return f"{indent}<bpmn:{node.tag} {text}>\n{inner}{indent}</bpmn:{node.tag}>\n"

    def _flow_xml(self, flow: Flow, indent: str) -> str:
        name = f" name={quoteattr(flow.name)}" if flow.name else ""
        head = f'{indent}<bpmn:sequenceFlow id="{flow.id}"{name} sourceRef="{flow.source}" targetRef="{flow.target}"'
        if flow.condition:
            return (f"{head}>\n{indent}  <bpmn:conditionExpression>{escape(flow.condition)}"
                    f"</bpmn:conditionExpression>\n{indent}</bpmn:sequenceFlow>\n")
        return head + "/>\n"

    def to_xml(self) -> str:
        out = ['<?xml version="1.0" encoding="UTF-8"?>',
               '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"',
               '                  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"',
               '                  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"',
               '                  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"',
               '                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"',
               '                  xmlns:kedja="https://kedja.goteborg.se/bpmn/1.0"',
               f'                  id="{self.process_id}_definitions" targetNamespace="https://kedja.goteborg.se/model">']
        out.append(f'  <bpmn:collaboration id="{self.process_id}_collaboration">')
        out.append(f'    <bpmn:participant id="{self.process_id}_participant" name={quoteattr(self.name)} '
                   f'processRef="{self.process_id}"/>')
        for prop in sorted(self.properties):
            out.append(f'    <bpmn:correlationKey name="{prop}">')
            out.append(f"      <bpmn:correlationPropertyRef>{prop}</bpmn:correlationPropertyRef>")
            out.append("    </bpmn:correlationKey>")
        out.append("  </bpmn:collaboration>")
        for name, (_props, external) in sorted(self.messages.items()):
            ext = ' kedja:external="true"' if external else ""
            out.append(f'  <bpmn:message id="msg_{name}" name="{name}"{ext}/>')
        for prop, uses in sorted(self.properties.items()):
            out.append(f'  <bpmn:correlationProperty id="{prop}" name="{prop}">')
            for message, expression in sorted(uses.items()):
                out.append(f'    <bpmn:correlationPropertyRetrievalExpression messageRef="msg_{message}">')
                out.append(f"      <bpmn:formalExpression>{escape(expression)}</bpmn:formalExpression>")
                out.append("    </bpmn:correlationPropertyRetrievalExpression>")
            out.append("  </bpmn:correlationProperty>")
        facts = f' kedja:facts="{" ".join(self.facts)}"' if self.facts else ""
        out.append(f'  <bpmn:process id="{self.process_id}" name={quoteattr(self.name)} isExecutable="true"{facts}>')
        if self.documentation:
            out.append(f"    <bpmn:documentation>{escape(self.documentation)}</bpmn:documentation>")
        out.append(f'    <bpmn:laneSet id="{self.process_id}_lanes">')
        for lane_id, name, role, organisation, _rows in self.lanes:
            out.append(f'      <bpmn:lane id="{lane_id}" name={quoteattr(name)} kedja:role="{role}" '
                       f"kedja:organisation={quoteattr(organisation)}>")
            for node in self.nodes.values():
                if node.lane == lane_id:
                    out.append(f"        <bpmn:flowNodeRef>{node.id}</bpmn:flowNodeRef>")
            out.append("      </bpmn:lane>")
        out.append("    </bpmn:laneSet>")
        for collection in self.collections:
            out.append(f'    <bpmn:dataObject id="{collection}" name="{collection}"/>')
        for node in self.nodes.values():
            if node.parent is None:
                out.append(self._node_xml(node, "    ").rstrip("\n"))
        for flow in self.flows:
            if self.nodes[flow.source].parent is None:
                out.append(self._flow_xml(flow, "    ").rstrip("\n"))
        out.append("  </bpmn:process>")
        out.extend(self._di())
        out.append("</bpmn:definitions>")
        return "\n".join(out) + "\n"

    def _di(self) -> list[str]:
        width = LANE_LABEL_W + 80 + int(max(n.col + n.span[0] for n in self.nodes.values()) * COL_W) + 60
        height = sum(rows for *_r, rows in self.lanes) * LANE_H
        out = ['  <bpmndi:BPMNDiagram id="diagram">',
               f'    <bpmndi:BPMNPlane id="plane" bpmnElement="{self.process_id}_collaboration">',
               f'      <bpmndi:BPMNShape id="{self.process_id}_participant_di" '
               f'bpmnElement="{self.process_id}_participant" isHorizontal="true">',
               f'        <dc:Bounds x="0" y="{TOP}" width="{width}" height="{height}"/>',
               "      </bpmndi:BPMNShape>"]
        for lane_id, *_rest, rows in self.lanes:
            out += [f'      <bpmndi:BPMNShape id="{lane_id}_di" bpmnElement="{lane_id}" isHorizontal="true">',
                    f'        <dc:Bounds x="{LANE_LABEL_W}" y="{self._lane_top(lane_id)}" '
                    f'width="{width - LANE_LABEL_W}" height="{rows * LANE_H}"/>',
                    "      </bpmndi:BPMNShape>"]
        for node in self.nodes.values():
            x, y, w, h = self.bounds(node)
            extra = ' isExpanded="true"' if node.kind == "subprocess" else ""
            out += [f'      <bpmndi:BPMNShape id="{node.id}_di" bpmnElement="{node.id}"{extra}>',
                    f'        <dc:Bounds x="{x}" y="{y}" width="{w}" height="{h}"/>',
                    "      </bpmndi:BPMNShape>"]
        for flow in self.flows:
            out.append(f'      <bpmndi:BPMNEdge id="{flow.id}_di" bpmnElement="{flow.id}">')
            out += [f'        <di:waypoint x="{x}" y="{y}"/>' for x, y in self._waypoints(flow)]
            out.append("      </bpmndi:BPMNEdge>")
        out += ["    </bpmndi:BPMNPlane>", "  </bpmndi:BPMNDiagram>"]
        return out

    def overlaps(self) -> list[tuple[str, str]]:
        """Pairs of shapes that overlap (boundary events on their host and nodes inside their
        subprocess excepted)."""
        boxes = {n.id: self.bounds(n) for n in self.nodes.values()}
        clashes = []
        ids = list(boxes)
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                na, nb = self.nodes[a], self.nodes[b]
                if na.attached_to == b or nb.attached_to == a or na.parent == b or nb.parent == a:
                    continue
                if na.attached_to and self.nodes[na.attached_to].parent == b:
                    continue
                if nb.attached_to and self.nodes[nb.attached_to].parent == a:
                    continue
                ax, ay, aw, ah = boxes[a]
                bx, by, bw, bh = boxes[b]
                if ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah:
                    clashes.append((a, b))
        return clashes


# --- small helpers for element bodies ---------------------------------------------------
def message_def(node_id: str, message: str, payload: str | None = None, variable: str | None = None,
                correlations: dict[str, str] | None = None) -> str:
    ext = ""
    if payload:
        ext += f"          <spiffworkflow:messagePayload>{escape(payload)}</spiffworkflow:messagePayload>\n"
    if variable:
        ext += f"          <spiffworkflow:messageVariable>{variable}</spiffworkflow:messageVariable>\n"
    for prop, expression in (correlations or {}).items():
        ext += ("          <spiffworkflow:processVariableCorrelation>\n"
                f"            <spiffworkflow:propertyId>{prop}</spiffworkflow:propertyId>\n"
                f"            <spiffworkflow:expression>{escape(expression)}</spiffworkflow:expression>\n"
                "          </spiffworkflow:processVariableCorrelation>\n")
    inner = f"        <bpmn:extensionElements>\n{ext}        </bpmn:extensionElements>\n" if ext else ""
    return (f'      <bpmn:messageEventDefinition id="{node_id}_def" messageRef="msg_{message}">\n{inner}'
            "      </bpmn:messageEventDefinition>\n")


def timer_def(node_id: str, kind: str, expression: str) -> str:
    tag = {"duration": "timeDuration", "date": "timeDate", "cycle": "timeCycle"}[kind]
    return (f'      <bpmn:timerEventDefinition id="{node_id}_def">\n'
            f"        <bpmn:{tag}>{escape(expression)}</bpmn:{tag}>\n"
            "      </bpmn:timerEventDefinition>\n")


def script(source: str) -> str:
    return f"      <bpmn:script>{escape(source)}</bpmn:script>\n"


def receive_extensions(variable: str, correlations: dict[str, str]) -> str:
    """A receive task's message variable and the values it correlates on."""
    ext = f"        <spiffworkflow:messageVariable>{variable}</spiffworkflow:messageVariable>\n"
    for prop, expression in correlations.items():
        ext += ("        <spiffworkflow:processVariableCorrelation>\n"
                f"          <spiffworkflow:propertyId>{prop}</spiffworkflow:propertyId>\n"
                f"          <spiffworkflow:expression>{escape(expression)}</spiffworkflow:expression>\n"
                "        </spiffworkflow:processVariableCorrelation>\n")
    return f"      <bpmn:extensionElements>\n{ext}      </bpmn:extensionElements>\n"


def multi_instance(collection: str, item: str) -> str:
    return ("      <bpmn:multiInstanceLoopCharacteristics>\n"
            f"        <bpmn:loopDataInputRef>{collection}</bpmn:loopDataInputRef>\n"
            f'        <bpmn:inputDataItem id="{item}" name="{item}"/>\n'
            "      </bpmn:multiInstanceLoopCharacteristics>\n")


TERMINATE = '      <bpmn:terminateEventDefinition id="{id}_def"/>\n'
