"""The `kedja` command: the engine's commands plus the service's (serve, demo, user, org).

`kedja serve` is production; `kedja demo` adds made-up organisations, users and cases and serves
in demo mode (the app's KEDJA_DEMO: a banner on every page, "mode": "demo" in the health answer;
the engine's demo clock, which an administrator may move forward)."""
from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
from pathlib import Path

import click
from waitress import serve as waitress_serve

from engine import (
    ROLES,
    EngineError,
    StartInstance,
    add_organisation,
    add_user,
    deploy_initial,
    open_engine,
    start_background,
    users_with_password,
)
from engine import engine_cli as main
from goteborg import cli as _model_commands  # noqa: F401 (kedja simulate, kedja report)
from goteborg.demo import DEMO_CASES, DEMO_ORGANISATIONS

from . import create_app

DEMO_PASSWORD = "kedja-demo"


def _username(organisation: str, role: str) -> str:
    base = "".join(ch for ch in organisation.lower().replace("å", "a").replace("ä", "a").replace("ö", "o")
                   if ch.isalnum())
    return f"{base}-{role.replace('_', '')}"


@main.group()
def org() -> None:
    """Organisations."""


@org.command("add")
@click.argument("name")
@click.option("--kind", default=None)
def org_add(name: str, kind: str | None) -> None:
    engine = open_engine()
    with engine.uow() as uow:
        add_organisation(uow, name, kind)
        uow.commit()
    click.echo(f"organisation {name}")


@main.group()
def user() -> None:
    """Users and their API tokens."""


@user.command("add")
@click.argument("name")
@click.option("--org", "organisation", required=True)
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
@click.option("--password", default=None, help="For the web login (stored with Argon2id).")
def user_add(name: str, organisation: str, roles: tuple[str, ...], password: str | None) -> None:
    """Create a user and print its API token (shown once: only its hash is stored)."""
    engine = open_engine()
    try:
        with engine.uow() as uow:
            token = add_user(uow, name, organisation, list(roles), engine.now(), password)
            uow.commit()
    except EngineError as err:
        raise click.ClickException(str(err)) from err
    click.echo(token)


def _serve_options(command):
    """The options `kedja serve` and `kedja demo` share."""
    for option in reversed([
        click.option("--host", default="127.0.0.1", show_default=True),
        click.option("--port", default=8000, show_default=True, type=int),
        # Threads add concurrency, not CPU (one core per process, the GIL): more of them only
        # wait longer for each other (docs/operations.md, "Threads and workers").
        click.option("--threads", default=4, show_default=True, type=int),
        click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
                     help="Server processes sharing the port, each with its own sweep (PostgreSQL only)."),
    ]):
        command = option(command)
    return command


@main.command()
@click.option("--tokens-file", default="var/demo-tokens.txt", show_default=True)
@click.option("--seed-only", is_flag=True, help="Add the demo data, then stop instead of serving.")
@_serve_options
def demo(tokens_file: str, seed_only: bool, host: str, port: int, threads: int, workers: int) -> None:
    """A demonstration: add the model's organisations, one user per role and organisation
    (password kedja-demo) and a few cases, then serve in demo mode (a banner on every page,
    "mode": "demo" in /api/v1/health) with a clock an administrator may move forward (Administration:
    Spola fram; POST /api/v1/admin/clock). New users' tokens are printed and saved to the tokens file."""
    engine = open_engine(demo=True)
    created = []
    with engine.uow() as uow:
        for name, (kind, _roles) in DEMO_ORGANISATIONS.items():
            add_organisation(uow, name, kind)
        uow.repo.flush()
        for name, (_kind, roles) in DEMO_ORGANISATIONS.items():
            for role in roles:
                username = _username(name, role)
                try:
                    token = add_user(uow, username, name, [role], engine.now(), DEMO_PASSWORD)
                except EngineError:
                    continue  # exists already
                created.append((username, name, role, token))
        uow.commit()
    if created:
        Path(tokens_file).parent.mkdir(parents=True, exist_ok=True)
        with open(tokens_file, "a", encoding="utf-8") as handle:
            os.chmod(tokens_file, 0o600)
            for row in created:
                handle.write("\t".join(row) + "\n")
    click.echo(f"{len(DEMO_ORGANISATIONS)} organisations; {len(created)} new demo users "
               f"(password '{DEMO_PASSWORD}'); API tokens in {tokens_file}")
    for username, name, role, token in created:
        click.echo(f"  {username:45} {name:38} {role:14} {token}")
    _demo_cases(engine)
    if not seed_only:
        _serve(engine, host, port, threads, workers, demo_mode=True)


def _demo_cases(engine) -> None:
    """Deploy processes/ and start the demo cases, once (not again when the database has cases)."""
    if not deploy_initial(engine) or engine.queries.instances(per_page=1).total:
        return
    for process, business_key, data in DEMO_CASES:
        engine.execute(StartInstance(process, data, business_key))
    click.echo(f"{len(DEMO_CASES)} demo cases started: " + ", ".join(key for _p, key, _d in DEMO_CASES))


@main.command()
@_serve_options
def serve(host: str, port: int, threads: int, workers: int) -> None:
    """Run the service (waitress): migrations applied, processes/ deployed, background sweep on.
    Refused while any account's password is the demo's (`kedja demo` is the way to demonstrate)."""
    engine = open_engine()
    refuse_demo_passwords(engine)
    _serve(engine, host, port, threads, workers, demo_mode=False)


def refuse_demo_passwords(engine) -> None:
    """Production never runs with accounts anyone can sign in to from the README."""
    with engine.session_factory() as session:
        found = users_with_password(session, DEMO_PASSWORD)
    if found:
        listed = ", ".join(found[:5]) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        raise click.ClickException(
            f"{len(found)} account(s) have the demo password '{DEMO_PASSWORD}' ({listed}): this database was "
            "set up by `kedja demo`. Run `kedja demo` to demonstrate, or serve production from a database "
            "of its own (KEDJA_DATABASE_URL).")


def _serve(engine, host: str, port: int, threads: int, workers: int, demo_mode: bool) -> None:
    # waitress warns "Task queue depth is N" for each request that waits for a free thread:
    # under a steady load, every request. Building those records cost a worker 2 % of its CPU in
    # bench/http_sustained.py, for a log nobody reads (a queue shows as latency). Its errors stay.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    if workers > 1 and engine.sql_engine.dialect.name != "postgresql":
        raise click.UsageError("--workers needs PostgreSQL (KEDJA_DATABASE_URL): SQLite takes one writer at a time")
    # processes/ is the initial model: a process with no version yet is deployed from it, and
    # nothing else — an owner's later versions stay the latest (change files with `kedja deploy`).
    for version in deploy_initial(engine):
        state = "deployed from processes/" if version.created else "latest"
        click.echo(f"{version.key} version {version.version} ({state})")
    if demo_mode:
        click.echo(f"DEMO MODE: made-up users (password '{DEMO_PASSWORD}') and cases; not for real data. "
                   "Production is `kedja serve`.", err=True)
    click.echo(f"Kedja on http://{host}:{port}/api/v1 ({engine.config.database_url}); "
               f"OpenAPI at /api/openapi.json" + (f"; {workers} worker processes" if workers > 1 else "")
               + ("; demo mode" if demo_mode else ""), err=True)
    config = {"KEDJA_DEMO": demo_mode}
    if workers == 1:
        start_background(engine)
        waitress_serve(create_app({"KEDJA_ENGINE": engine, **config}), host=host, port=port, threads=threads)
        return
    # Python runs one thread at a time per process: several processes use several cores. They
    # are nodes of one database like separate `kedja serve`s, and share the socket bound here.
    engine.dispose()  # before forking: each worker opens its own connections
    listener = socket.create_server((host, port), backlog=1024)
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            _serve_worker(listener, threads, config)  # does not return
        children.append(pid)
    signal.signal(signal.SIGTERM, lambda *_: _stop(children))
    signal.signal(signal.SIGINT, lambda *_: _stop(children))  # Ctrl-C: the workers stop, then this
    with contextlib.suppress(ChildProcessError):
        for _ in children:
            os.wait()


def _stop(children: list[int]) -> None:
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


def _serve_worker(listener: socket.socket, threads: int, config: dict) -> None:
    """One worker process: its own engine, sweep and connections, serving the shared socket."""
    try:
        engine = open_engine(demo=config["KEDJA_DEMO"])
        start_background(engine)
        waitress_serve(create_app({"KEDJA_ENGINE": engine, **config}), sockets=[listener], threads=threads)
    finally:
        os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
