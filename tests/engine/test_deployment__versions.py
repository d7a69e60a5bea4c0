"""Deployment: numbered immutable versions, safe parsing, problems with element and line."""
import pytest

from engine.commands import Deploy, StartInstance
from engine.errors import DeploymentRejected

from ..helpers import fixture_bytes, scripted_bpmn

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" isExecutable="true"><bpmn:startEvent id="s" name="&xxe;"/></bpmn:process>
</bpmn:definitions>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">&lol2;</bpmn:definitions>"""


def _deploy(engine, name, xml):
    return engine.execute(Deploy(((name, xml),)))


def test_versions_count_up_and_identical_xml_returns_the_existing_version(engine):
    xml = scripted_bpmn()
    [v1] = _deploy(engine, "scripted.bpmn", xml)
    [same] = _deploy(engine, "scripted.bpmn", xml)
    [v2] = _deploy(engine, "scripted.bpmn", scripted_bpmn(script="total = amount * 3"))
    assert (v1.version, v1.created) == (1, True)
    assert (same.version, same.created, same.definition_id) == (1, False, v1.definition_id)
    assert (v2.version, v2.created) == (2, True)
    assert [(d.key, d.version) for d in engine.queries.definitions()] == [("scripted", 1), ("scripted", 2)]


def test_going_back_to_an_earlier_diagram_deploys_it_as_the_newest_version(engine):
    first, changed = scripted_bpmn(), scripted_bpmn(script="total = amount * 3")
    [v1] = _deploy(engine, "scripted.bpmn", first)
    _deploy(engine, "scripted.bpmn", changed)
    [back] = _deploy(engine, "scripted.bpmn", first)  # the process owner undoes the change
    assert (back.version, back.created) == (3, True) and back.definition_id != v1.definition_id
    started = engine.execute(StartInstance("scripted", {"case_id": "E", "amount": 2}))
    assert engine.queries.instance(started.id)["instance"].definition_id == back.definition_id


def test_running_instances_stay_on_their_version(engine):
    [v1] = _deploy(engine, "scripted.bpmn", scripted_bpmn())
    old = engine.execute(StartInstance("scripted", {"case_id": "C"}))
    [v2] = _deploy(engine, "scripted.bpmn", scripted_bpmn(script="total = 0"))
    new = engine.execute(StartInstance("scripted", {"case_id": "D"}))
    assert engine.queries.instance(old.id)["instance"].definition_id == v1.definition_id
    assert engine.queries.instance(new.id)["instance"].definition_id == v2.definition_id


@pytest.mark.parametrize("xml", [XXE, LAUGHS], ids=["external-entity", "billion-laughs"])
def test_doctype_and_entities_are_refused(engine, xml):
    with pytest.raises(DeploymentRejected) as rejected:
        _deploy(engine, "evil.bpmn", xml)
    assert "DOCTYPE and entity declarations are not allowed" in str(rejected.value)
    assert engine.queries.definitions() == []


def test_oversized_file_is_refused_before_parsing(make_engine):
    engine = make_engine(max_bpmn_bytes=1000)
    with pytest.raises(DeploymentRejected) as rejected:
        _deploy(engine, "big.bpmn", scripted_bpmn())
    assert "the limit is 1000" in str(rejected.value)


def test_malformed_xml_names_the_line(engine):
    with pytest.raises(DeploymentRejected) as rejected:
        _deploy(engine, "broken.bpmn", b"<a>\n<b>\n</a>")
    [problem] = rejected.value.problems
    assert problem.line == 3 and "not well-formed" in problem.message


@pytest.mark.parametrize("part, source, element", [
    ("script", "__import__('os').system('id')", "compute"),
    ("script", "x = ().__class__.__base__.__subclasses__()", "compute"),
    ("condition", "open('/etc/passwd').read() != ''", "s4"),
    ("payload", "getattr(case_id, '__globals__')", "notify"),
    ("script", "eval('1')", "compute"),
])
def test_sandbox_escape_in_a_diagram_is_refused_at_deploy(engine, part, source, element):
    with pytest.raises(DeploymentRejected) as rejected:
        _deploy(engine, "scripted.bpmn", scripted_bpmn(**{part: source}))
    problem = rejected.value.problems[0]
    assert problem.element_id == element
    assert problem.line and problem.line > 1
    assert "not allowed" in problem.message
    assert engine.queries.definitions() == []


def test_user_task_outside_a_lane_is_refused(engine):
    xml = fixture_bytes("order_responder.bpmn").replace(b"<bpmn:flowNodeRef>quote</bpmn:flowNodeRef>", b"")
    with pytest.raises(DeploymentRejected) as rejected:
        _deploy(engine, "responder.bpmn", xml)
    assert [(p.element_id, "in no lane" in p.message) for p in rejected.value.problems] == [("quote", True)]


def test_a_bad_file_in_a_set_deploys_nothing(engine):
    with pytest.raises(DeploymentRejected):
        engine.execute(Deploy((("ok.bpmn", scripted_bpmn()), ("evil.bpmn", XXE))))
    assert engine.queries.definitions() == []


def test_deeply_nested_xml_is_refused_with_a_problem(engine):
    deep = b"<a>" * 300 + b"</a>" * 300
    with pytest.raises(DeploymentRejected) as rejected:
        _deploy(engine, "deep.bpmn", deep)
    assert "not well-formed" in str(rejected.value)


def test_a_file_that_is_not_utf8_is_refused(engine):
    latin = scripted_bpmn().replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode("latin-1")
    with pytest.raises(DeploymentRejected) as rejected:
        _deploy(engine, "latin.bpmn", latin)
    assert "must be UTF-8" in str(rejected.value)


TWO_TIMERS = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="two_timers" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:eventBasedGateway id="gw"/>
    <bpmn:intermediateCatchEvent id="soon"><bpmn:timerEventDefinition id="t1">
      <bpmn:timeDuration>"P1D"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:intermediateCatchEvent id="later"><bpmn:timerEventDefinition id="t2">
      <bpmn:timeDuration>"P9D"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end1"/><bpmn:endEvent id="end2"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="gw"/>
    <bpmn:sequenceFlow id="f1" sourceRef="gw" targetRef="soon"/>
    <bpmn:sequenceFlow id="f2" sourceRef="gw" targetRef="later"/>
    <bpmn:sequenceFlow id="f3" sourceRef="soon" targetRef="end1"/>
    <bpmn:sequenceFlow id="f4" sourceRef="later" targetRef="end2"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_an_event_based_gateway_with_two_timers_is_refused(engine):
    """SpiffWorkflow keeps one due time per gateway; the second timer would silently share it."""
    with pytest.raises(DeploymentRejected) as rejected:
        _deploy(engine, "two_timers.bpmn", TWO_TIMERS)
    [problem] = rejected.value.problems
    assert problem.element_id == "gw"
    assert "one timer only, not 2 (soon, later)" in problem.message
