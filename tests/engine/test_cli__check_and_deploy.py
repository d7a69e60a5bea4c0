"""The `kedja` command: check a set of diagrams, deploy them."""
import pytest
from click.testing import CliRunner

from engine.cli import main

from ..helpers import FIXTURES

REQUESTER = str(FIXTURES / "order_requester.bpmn")
RESPONDER = str(FIXTURES / "order_responder.bpmn")


@pytest.fixture
def run(database_url, monkeypatch):
    url, schema = database_url
    monkeypatch.setenv("KEDJA_DATABASE_URL", url)
    if schema:
        monkeypatch.setenv("KEDJA_DATABASE_SCHEMA", schema)
    monkeypatch.setenv("KEDJA_FORMS_DIR", str(FIXTURES / "forms"))  # the fixtures' initial forms
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


FIXTURE_FORMS = str(FIXTURES / "forms")


def test_check_passes_a_consistent_set(run):
    result = run("check", "--forms", FIXTURE_FORMS, REQUESTER, RESPONDER)
    assert result.exit_code == 0, result.output
    assert "2 process(es): ok" in result.output


def test_check_finds_a_message_with_no_catcher(run):
    result = run("check", "--forms", FIXTURE_FORMS, REQUESTER)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert f"{REQUESTER}:39: send_request: message 'order_request' is thrown but nothing in the set catches it" \
        in lines
    assert any("wait_reply" in line and "nothing in the set throws it" in line for line in lines)


def test_check_finds_different_correlation_at_the_two_ends(run, tmp_path):
    changed = tmp_path / "responder.bpmn"
    changed.write_text((FIXTURES / "order_responder.bpmn").read_text().replace(
        'messageRef="msg_reply">\n      <bpmn:formalExpression>order_id',
        'messageRef="msg_other">\n      <bpmn:formalExpression>order_id'))
    result = run("check", "--forms", FIXTURE_FORMS, REQUESTER, str(changed))
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert "wait_reply: message 'order_reply' correlates on ['order_id'] here but on [] at send_reply" in line


def test_check_reports_unsafe_files_by_line(run, tmp_path):
    evil = tmp_path / "evil.bpmn"
    evil.write_text('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e "e">]>\n<x>&e;</x>')
    result = run("check", str(evil))
    assert result.exit_code == 1
    assert "DOCTYPE and entity declarations are not allowed" in result.output


def test_deploy_deploys_a_set_and_is_idempotent(run):
    first = run("deploy", "--forms", FIXTURE_FORMS, REQUESTER, RESPONDER)
    assert first.exit_code == 0, first.output
    assert "requester version 1: deployed" in first.output
    again = run("deploy", REQUESTER, RESPONDER)
    assert "requester version 1: unchanged" in again.output


def test_deploy_says_what_it_replaces_and_export_writes_what_is_deployed(run, tmp_path):
    run("deploy", REQUESTER, RESPONDER)
    changed = tmp_path / "requester.bpmn"
    changed.write_text((FIXTURES / "order_requester.bpmn").read_text().replace(
        'name="Förbered beställning"', 'name="Förbered beställningen"'))
    result = run("deploy", str(changed))
    assert result.exit_code == 0, result.output
    assert "requester version 2: deployed (replaces version 1)" in result.output

    exported = run("export", str(tmp_path / "out"))
    assert exported.exit_code == 0, exported.output
    assert "Förbered beställningen" in (tmp_path / "out" / "requester.bpmn").read_text()
    assert (tmp_path / "out" / "responder.bpmn").exists()
    assert '"title": "Förbered beställning"' in (tmp_path / "out" / "forms" / "order_prepare.json").read_text()
    old = run("export", str(tmp_path / "v1"), "--process", "requester", "--version", "1")
    assert old.exit_code == 0 and "Förbered beställningen" not in (tmp_path / "v1" / "requester.bpmn").read_text()
    assert run("export", str(tmp_path / "x"), "--process", "nope").exit_code == 2


def test_deploy_refuses_an_inconsistent_set(run):
    result = run("deploy", REQUESTER)
    assert result.exit_code == 1
    assert "nothing in the set catches it" in result.output


def test_start_show_and_complete_from_the_command_line(run):
    run("deploy", REQUESTER, RESPONDER)
    started = run("start", "requester", "--data",
                  '{"order_id": "O-1", "amount": 3, "buyer_organisation": "Higab"}', "--business-key", "O-1")
    assert started.exit_code == 0, started.output
    instance_id = started.output.split()[0]

    shown = run("show", instance_id)
    assert "requester (O-1): running" in shown.output
    task_id = shown.output.split("task ")[1].split()[0]
    assert "'Förbered beställning' -> Higab (buyer)" in shown.output
    assert task_id in run("tasks", "--org", "Higab").output

    refused = run("complete", task_id, "--user", "tove", "--org", "Trafikkontoret")
    assert refused.exit_code == 1 and "another organisation" in refused.output
    assert run("complete", task_id, "--user", "anna", "--org", "Higab").exit_code == 0
    shown = run("show", instance_id)
    assert "waits at wait_reply for message order_reply {\"order_id\": \"O-1\"}" in shown.output
    assert "sent order_request:" in shown.output


def test_start_refuses_bad_data(run):
    run("deploy", REQUESTER, RESPONDER)
    assert run("start", "requester", "--data", "[1]").exit_code == 1
    assert run("start", "nope").exit_code == 1


def test_check_finds_a_user_task_whose_form_has_no_schema(run, tmp_path):
    result = run("check", "--forms", str(tmp_path), REQUESTER, RESPONDER)
    assert result.exit_code == 1
    assert "prepare: no form schema 'order_prepare'" in result.output
    assert "quote: no form schema 'order_quote'" in result.output


def test_the_model_passes_its_own_check(run):
    root = FIXTURES.parent.parent
    result = run("check", *(str(root / "processes" / f"{key}.bpmn") for key in
                            ("procurement", "supplier", "target_group")))
    assert result.exit_code == 0, result.output
