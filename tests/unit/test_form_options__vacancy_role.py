"""The open vacancies a matcher chooses from are the catches that wait for the message declaring
kedja:modelRole="candidate_proposal", whatever the message is named."""
from __future__ import annotations

from engine.commands import Deploy, StartInstance
from engine.form_options import form_options

VACANCY = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
                  xmlns:kedja="https://kedja.goteborg.se/bpmn/1.0" id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:message id="msg_proposal" name="{name}" kedja:external="true"{role}/>
  <bpmn:correlationProperty id="vacancy_id" name="vacancy_id">
    <bpmn:correlationPropertyRetrievalExpression messageRef="msg_proposal">
      <bpmn:formalExpression>vacancy_id</bpmn:formalExpression>
    </bpmn:correlationPropertyRetrievalExpression>
  </bpmn:correlationProperty>
  <bpmn:process id="vacancy" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait_proposal"/>
    <bpmn:intermediateCatchEvent id="wait_proposal">
      <bpmn:messageEventDefinition id="wait_def" messageRef="msg_proposal"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait_proposal" targetRef="done"/>
    <bpmn:endEvent id="done"/>
  </bpmn:process>
</bpmn:definitions>
"""


def _vacancies(engine, name: str, role: str) -> list[str]:
    engine.execute(Deploy((("vacancy.bpmn", VACANCY.format(name=name, role=role)),)))
    engine.execute(StartInstance("vacancy", {"vacancy_id": "UPH-1/S-1"}))
    with engine.session_factory() as session:
        return [value for value, _label in form_options(session, {"open_vacancies"}, {})["open_vacancies"]]


def test_a_renamed_message_that_keeps_its_role_still_offers_its_vacancies(memory_engine):
    assert _vacancies(memory_engine, "kandidatforslag", ' kedja:modelRole="candidate_proposal"') == ["UPH-1/S-1"]


def test_without_the_role_only_the_initial_models_message_name_is_read(memory_engine):
    assert _vacancies(memory_engine, "kandidatforslag", "") == []
