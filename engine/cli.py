"""The `kedja` command."""
from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import click

from forms import InitialForms

from . import incidents, migrate
from .checking import check_diagrams
from .commands import Actor, CompleteTask, Deploy, DetectStalls, RetryIncident, StartInstance, Sweep
from .config import EngineConfig
from .errors import DeploymentRejected, EngineError
from .scheduler import run_forever
from .service import Engine, build_engine
from .stalls import REASONS

PROCESSES_DIR = Path(os.environ.get("KEDJA_PROCESSES_DIR", "processes"))


def open_engine(demo: bool = False) -> Engine:
    """The engine on KEDJA_DATABASE_URL, its schema migrated; `demo`: in demo mode (`kedja demo`:
    a clock an administrator may move forward)."""
    engine = build_engine(EngineConfig.from_env(demo=demo))
    migrate.upgrade(engine.sql_engine)
    return engine


def deploy_initial(engine: Engine, directory: Path | str = PROCESSES_DIR) -> list:
    """The initial model: deploy the diagrams of `directory` whose process has no version yet.
    Nothing else: a restart never replaces what an owner deployed since (`kedja deploy` does,
    explicitly)."""
    paths = sorted(Path(directory).glob("*.bpmn"))
    return engine.execute(Deploy(read_files(paths), source="file", only_new=True)) if paths else []


def read_files(paths) -> tuple[tuple[str, bytes], ...]:
    files = []
    for path in paths:
        with open(path, "rb") as handle:
            files.append((path, handle.read()))
    return tuple(files)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log what the engine does.")
def main(verbose: bool) -> None:
    """Kedja: the process engine for employment requirements in public procurement."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # it logs every run at INFO


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the schema migrations to KEDJA_DATABASE_URL (default: var/kedja.db)."""
    open_engine()
    click.echo("database is up to date")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--forms", "forms_dir", default=None, type=click.Path(exists=True, file_okay=False),
              help="Folder of form schemas (default: KEDJA_FORMS_DIR or the model's forms/schemas).")
def check(files, forms_dir: str | None) -> None:
    """Check diagrams, each alone and together as a set, and their forms.
    Exit 1 with one problem per line."""
    config = EngineConfig.from_env()
    parsed, problems = check_diagrams(list(read_files(files)), config.max_bpmn_bytes,
                                      InitialForms(forms_dir or config.forms_dir))
    for problem in problems:
        click.echo(f"{problem.file}:{problem.line or '-'}: {problem.element_id or '-'}: {problem.message}")
    if problems:
        sys.exit(1)
    click.echo(f"{len(parsed)} file(s), {sum(len(p.models) for p in parsed.values())} process(es): ok")


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--forms", "forms_dir", default=None, type=click.Path(exists=True, file_okay=False),
              help="Also deploy the forms in this folder (one JSON Schema per file, named KEY.json).")
@click.option("--by", "deployed_by", default=None, help="Who deploys (recorded with the version).")
def deploy(files, forms_dir: str | None, deployed_by: str | None) -> None:
    """Deploy diagrams (and forms) explicitly, all or none, with the same rules as every other
    door. Each process gets a new version unless its content and forms are unchanged; the
    output says which version it replaces."""
    engine = open_engine()
    files_read = read_files(files)
    forms = read_forms(forms_dir) if forms_dir else ()
    try:
        before = {row.key: row.version for row in engine.queries.latest_definitions()}
        for version in engine.execute(Deploy(files_read, forms, source="cli",
                                             deployed_by=deployed_by or os.environ.get("USER"))):
            if not version.created:
                click.echo(f"{version.key} version {version.version}: unchanged")
            elif version.key in before:
                replaced = before[version.key]
                click.echo(f"{version.key} version {version.version}: deployed (replaces version {replaced})")
            else:
                click.echo(f"{version.key} version {version.version}: deployed (new process)")
    except DeploymentRejected as rejected:
        for problem in rejected.problems:
            click.echo(f"{problem.file}:{problem.line or '-'}: {problem.element_id or '-'}: {problem.message}",
                       err=True)
        sys.exit(1)


def read_forms(directory: str) -> tuple[tuple[str, dict], ...]:
    forms = []
    for path in sorted(Path(directory).glob("*.json")):
        try:
            forms.append((path.stem, json.loads(path.read_text(encoding="utf-8"))))
        except (ValueError, UnicodeDecodeError) as err:
            raise click.ClickException(f"{path}: not JSON ({err})") from err
    return tuple(forms)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--process", "keys", multiple=True, help="Only these processes (default: all).")
@click.option("--version", type=int, default=None, help="This version instead of the latest (with one --process).")
def export(directory: str, keys: tuple[str, ...], version: int | None) -> None:
    """Write the deployed processes (latest, or --version) and the forms they use to DIRECTORY:
    KEY.bpmn and forms/FORM.json, so that owners' work can be reviewed and kept in git."""
    engine = open_engine()
    if version is not None and len(keys) != 1:
        raise click.UsageError("--version goes with exactly one --process")
    rows = engine.queries.latest_definitions()
    if keys:
        unknown = set(keys) - {row.key for row in rows}
        if unknown:
            raise click.UsageError(f"no deployed process {', '.join(sorted(unknown))}")
        rows = [row for row in rows if row.key in keys]
    if version is not None:
        rows = [row for row in engine.queries.definitions() if row.key == keys[0] and row.version == version]
        if not rows:
            raise click.UsageError(f"{keys[0]} has no version {version}")
    target = Path(directory)
    (target / "forms").mkdir(parents=True, exist_ok=True)
    forms: dict[str, int] = {}
    for row in rows:
        (target / f"{row.key}.bpmn").write_text(row.bpmn_xml, encoding="utf-8")
        forms.update(json.loads(row.form_versions or "{}"))
        click.echo(f"{row.key} version {row.version} -> {target / (row.key + '.bpmn')}")
    for key, form_version in sorted(forms.items()):
        schema = engine.forms.schema(key, form_version)
        (target / "forms" / f"{key}.json").write_text(
            json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        click.echo(f"form {key} version {form_version} -> {target / 'forms' / (key + '.json')}")


@main.command()
@click.argument("process")
@click.option("--data", default="{}", help="Start data as a JSON object.")
@click.option("--business-key", default=None)
def start(process: str, data: str, business_key: str | None) -> None:
    """Start an instance of PROCESS (latest version)."""
    engine = open_engine()
    try:
        started = engine.execute(StartInstance(process, json.loads(data), business_key))
    except (EngineError, ValueError) as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"{started.id} {started.status}")


@main.command()
@click.argument("instance_id")
def show(instance_id: str) -> None:
    """Show an instance: status, open tasks, what it waits for, linked instances."""
    engine = open_engine()
    try:
        view = engine.queries.instance(instance_id)
    except EngineError as err:
        raise click.ClickException(str(err)) from err
    instance = view["instance"]
    click.echo(f"{instance.id} {instance.process_key} ({instance.business_key or '-'}): {instance.status}")
    if instance.error_message:
        click.echo(f"  error at {instance.error_element}: {instance.error_message}")
    for task in view["open_tasks"]:
        click.echo(f"  task {task.id} {task.element_id} '{task.name}' -> {task.organisation} ({task.role})"
                   f"{' claimed by ' + task.claimed_by if task.claimed_by else ''}")
    for wait in view["waiting_for"]:
        what = (f"message {wait['message']} {json.dumps(wait['correlation'], ensure_ascii=False)}"
                if wait["kind"] == "message" else f"timer due {wait['due_at']}")
        click.echo(f"  waits at {wait['element_id']} for {what}")
    for link in view["linked"]:
        click.echo(f"  {link['direction']} {link['message']}: {link['instance_id']}")


@main.command()
@click.option("--org", "organisation", required=True, help="The organisation whose inbox to list.")
def tasks(organisation: str) -> None:
    """List an organisation's open tasks, oldest first."""
    engine = open_engine()
    for task in engine.queries.inbox(organisation, per_page=200).items:
        click.echo(f"{task.id} {task.process_key}/{task.element_id} '{task.name}' since {task.created_at}"
                   f"{' due ' + str(task.due_at) if task.due_at else ''}")


@main.command()
@click.argument("task_id")
@click.option("--user", required=True)
@click.option("--org", "organisation", required=True)
@click.option("--data", default="{}", help="Form data as a JSON object.")
def complete(task_id: str, user: str, organisation: str, data: str) -> None:
    """Complete a task as USER of ORG."""
    engine = open_engine()
    try:
        engine.execute(CompleteTask(task_id, json.loads(data), Actor(user, organisation)))
    except (EngineError, ValueError) as err:
        raise click.ClickException(str(err)) from err
    click.echo("completed")


@main.command()
@click.option("--reason", default=None, type=click.Choice(REASONS))
def stalled(reason: str | None) -> None:
    """Detect now, then list the instances that look stuck and why, and the incidents (timers
    and messages that failed too often; retry them with `kedja retry-incident`)."""
    engine = open_engine()
    engine.execute(DetectStalls())
    for finding in engine.queries.stalled(reason, per_page=200).items:
        click.echo(f"{finding['since']:%Y-%m-%d %H:%M} {finding['reason']:15} {finding['process']}/"
                   f"{finding['element_id'] or '-'} {finding['business_key'] or finding['instance_id']} "
                   f"{json.dumps(finding['detail'], ensure_ascii=False)}")
    if reason is None:
        for incident in incidents.incidents(engine):
            click.echo(f"{incident.since:%Y-%m-%d %H:%M} incident {incident.kind} {incident.id} {incident.name} "
                       f"{incident.instance_id or '-'} after {incident.attempts} tries: {incident.error}")


@main.command("retry-incident")
@click.argument("kind", type=click.Choice(["timer", "message"]))
@click.argument("incident_id")
def retry_incident(kind: str, incident_id: str) -> None:
    """Try a failed timer or message again (after fixing its cause)."""
    engine = open_engine()
    engine.execute(RetryIncident(kind, incident_id, Actor("cli")))
    click.echo(f"{kind} {incident_id} retried")


@main.command()
@click.option("--deploy-dir", default="processes", show_default=True,
              help="Diagrams in this folder whose process has no version yet are deployed at start.")
@click.option("--once", is_flag=True, help="Run one sweep and exit.")
def worker(deploy_dir: str, once: bool) -> None:
    """Run the engine's background work: timers, message delivery, expiry."""
    engine = open_engine()
    for version in deploy_initial(engine, deploy_dir):
        click.echo(f"{version.key} version {version.version}")
    click.echo(f"kedja worker on {engine.config.database_url}; initial model in {deploy_dir}/")
    if once:
        click.echo(str(engine.execute(Sweep())))
        return
    run_forever(engine)


if __name__ == "__main__":
    main()
