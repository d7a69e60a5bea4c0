"""What changed between two versions of a diagram, element by element (by id): added, removed,
and changed with what changed, in Swedish. Layout (the diagram's DI) is not a change; the modeller
colours the elements and lists the rest."""
from __future__ import annotations

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
KEDJA = "https://kedja.goteborg.se/bpmn/1.0"
TYPES = {
    "userTask": "Användaruppgift", "serviceTask": "Tjänsteuppgift", "scriptTask": "Skriptuppgift",
    "sendTask": "Skickande uppgift", "receiveTask": "Mottagande uppgift", "manualTask": "Manuell uppgift",
    "businessRuleTask": "Regeluppgift", "task": "Uppgift", "callActivity": "Anropad process",
    "subProcess": "Delprocess", "startEvent": "Starthändelse", "endEvent": "Sluthändelse",
    "intermediateCatchEvent": "Mellanhändelse (väntar)", "intermediateThrowEvent": "Mellanhändelse (skickar)",
    "boundaryEvent": "Kanthändelse", "exclusiveGateway": "Exklusiv grind", "parallelGateway": "Parallell grind",
    "inclusiveGateway": "Inkluderande grind", "eventBasedGateway": "Händelsestyrd grind",
    "sequenceFlow": "Flöde", "messageFlow": "Meddelandeflöde", "lane": "Bana", "participant": "Pool",
    "process": "Process", "collaboration": "Samarbete", "message": "Meddelande",
    "correlationProperty": "Korrelationsegenskap", "textAnnotation": "Kommentar", "association": "Koppling",
    "dataObject": "Dataobjekt", "dataObjectReference": "Dataobjekt", "dataStoreReference": "Datalager",
    "signal": "Signal", "error": "Fel", "escalation": "Eskalering", "laneSet": "Banor",
    "timerEventDefinition": "Timer", "messageEventDefinition": "Meddelandehändelse",
}
ATTRIBUTES = {
    f"{{{KEDJA}}}formKey": "formulär", f"{{{KEDJA}}}dueIn": "ska vara klar inom", f"{{{KEDJA}}}phase": "fas",
    f"{{{KEDJA}}}role": "roll", f"{{{KEDJA}}}organisation": "organisation", f"{{{KEDJA}}}facts": "nyckeltal",
    f"{{{KEDJA}}}startableBy": "får startas av", f"{{{KEDJA}}}external": "extern",
    "sourceRef": "från", "targetRef": "till", "default": "standardflöde", "messageRef": "meddelande",
    "attachedToRef": "sitter på", "calledElement": "anropar", "processRef": "process",
    "isExecutable": "körbar", "cancelActivity": "avbryter",
}
CONTENT = {"conditionExpression": "villkor", "script": "skript", "timerEventDefinition": "timer",
           "messageEventDefinition": "meddelandehändelse", "flowNodeRef": "elementen i banan",
           "multiInstanceLoopCharacteristics": "flerinstans", "standardLoopCharacteristics": "upprepning",
           "extensionElements": "tillägg (kedja/spiffworkflow)", "documentation": "dokumentation",
           "correlationPropertyRetrievalExpression": "korrelation", "text": "text"}
SKIP = {"definitions", "extensionElements", "incoming", "outgoing"}


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def elements(root: etree._Element) -> dict[str, etree._Element]:
    """Every element of the model with an id (not the layout)."""
    found = {}
    for node in root.iter(f"{{{BPMN}}}*"):
        ident = node.get("id")
        name = _local(node.tag)
        if ident and name not in SKIP and name not in CONTENT and not name.endswith("EventDefinition"):
            found.setdefault(ident, node)
    return found


def _content(node: etree._Element) -> dict[str, str]:
    """The element's own content by kind (children without an id of their own; incoming and
    outgoing are the flows' business, which are compared themselves)."""
    parts: dict[str, list[str]] = {}
    for child in node:
        if not isinstance(child.tag, str):
            continue
        name = _local(child.tag)
        if name in ("incoming", "outgoing") or (child.get("id") and name not in CONTENT
                                                 and not name.endswith("EventDefinition")):
            continue
        text = etree.tostring(child, method="c14n", with_comments=False).decode("utf-8")
        parts.setdefault(name, []).append(" ".join(text.split()))
    return {name: "\n".join(sorted(texts)) if name == "flowNodeRef" else "\n".join(texts)
            for name, texts in parts.items()}


def _describe(node: etree._Element) -> dict:
    kind = _local(node.tag)
    return {"id": node.get("id"), "type": kind, "type_label": TYPES.get(kind, kind), "name": node.get("name") or ""}


def _show(value: str | None) -> str:
    return f"”{value}”" if value else "(tomt)"


REFERENCES = {"sourceRef", "targetRef", "default", "messageRef", "attachedToRef", "processRef"}


def _named(elements: dict[str, etree._Element], ident: str | None) -> str:
    """A referenced element by its name (its id when it has none)."""
    node = elements.get(ident or "")
    return _show(node.get("name") if node is not None and node.get("name") else ident)


def _changes(old: etree._Element, new: etree._Element, before: dict, after: dict) -> list[str]:
    said = []
    if old.tag != new.tag:
        was, now = _local(old.tag), _local(new.tag)
        said.append(f"typ: {TYPES.get(was, was)} → {TYPES.get(now, now)}")
    if (old.get("name") or "") != (new.get("name") or ""):
        said.append(f"namn: {_show(old.get('name'))} → {_show(new.get('name'))}")
    keys = [k for k in dict.fromkeys([*old.attrib, *new.attrib]) if k not in ("id", "name")]
    for key in keys:
        if old.get(key) != new.get(key):
            label = ATTRIBUTES.get(key, etree.QName(key).localname)
            if key in REFERENCES:
                was, now = _named(before, old.get(key)), _named(after, new.get(key))
                if was == now:  # two elements of the same name: say which
                    was, now = f"{was} ({old.get(key)})", f"{now} ({new.get(key)})"
                said.append(f"{label}: {was} → {now}")
            else:
                said.append(f"{label}: {_show(old.get(key))} → {_show(new.get(key))}")
    was, now = _content(old), _content(new)
    for part in dict.fromkeys([*was, *now]):
        if was.get(part) != now.get(part):
            label = CONTENT.get(part, part)
            said.append(f"{label} tillagt" if part not in was else f"{label} borttaget" if part not in now
                        else f"{label} ändrat")
    return said


def diff(old_root: etree._Element, new_root: etree._Element) -> dict:
    """{"added": [...], "removed": [...], "changed": [... with "changes"]}: each an element's id,
    type, Swedish type label and name; the lists in the order of the newer diagram (removed: of the older)."""
    before, after = elements(old_root), elements(new_root)
    added = [_describe(node) for ident, node in after.items() if ident not in before]
    removed = [_describe(node) for ident, node in before.items() if ident not in after]
    changed = []
    for ident, node in after.items():
        if ident in before and (said := _changes(before[ident], node, before, after)):
            changed.append({**_describe(node), "changes": said})
    return {"added": added, "removed": removed, "changed": changed}
