"""The model's own commands on `kedja` (api/cli.py imports this module so that they are there):
`kedja simulate` runs a city-year through the engine, `kedja report` prints the figures."""
from __future__ import annotations

import json
import sys
import tempfile
import time

import click

from engine import PROCESSES_DIR, Engine, EngineConfig, FrozenClock, migrate_database, open_engine
from engine import engine_cli as main

from .reports import follow_up
from .simulation import START, WEEKS, Simulation, make_plan


def _print_figures(figures: dict) -> None:
    share = figures["share_with_requirement"]
    click.echo(f"Tjänsteupphandlingar med sociala krav: {figures['service_with_requirement']} av "
               f"{figures['service_procurements']} ({'-' if share is None else f'{share:.0%}'}; mål 50 %)")
    click.echo(f"Screenade upphandlingar: {figures['procurements_screened']}, kandidater: "
               f"{figures['procurements_candidates']}, krav per slag: {figures['requirements_by_kind']}")
    click.echo(f"Personer per utfall: {figures['people_by_outcome']}")
    click.echo(f"  per målgrupp: {figures['people_by_target_group']}")
    click.echo(f"  per kön: {figures['people_by_gender']}")
    click.echo(f"  per stadsdel: {figures['people_by_district']}")
    click.echo("Placeringar per stadsdel (andel mot fördelningsnyckeln): " + ", ".join(
        f"{district} {d['placements']} ({d['share']:.0%} mot {d['key_share']:.0%})"
        for district, d in figures["placements_by_district"].items()))
    contracts = figures["contracts"]
    in_time = sum(1 for c in contracts if c["first_placement_within_6_months"])
    required = sum(c["required_months"] or 0 for c in contracts)
    delivered = sum(c["months_delivered"] or 0 for c in contracts)
    click.echo(f"Avtal: {len(contracts)}, levererade heltidsmånader {delivered:.1f} av krävda {required}, "
               f"första placering inom sex månader: {in_time}")
    click.echo(f"Ledtid per fas (dagar): {figures['lead_time_days_by_phase']}")
    click.echo("Avbrott per fas: " + ", ".join(f"{phase} {d['dropouts']}/{d['entered']}"
                                                for phase, d in figures["dropout_by_phase"].items()))
    click.echo(f"Intyg till deltagare: {figures['certificates_issued']}, anställning efter praktik eller trainee: "
               f"{figures['employment_after_placement']}")
    click.echo(f"Släppta när upphandlingen avslutades tidigt: {figures['participants_released']} deltagare, "
               f"{figures['bidders_released']} anbudsgivare")
    reserved = figures["reserved_contracts"]
    click.echo(f"Reserverade kontrakt: {len(reserved)}, minst 30 % ur målgrupperna: "
               f"{sum(1 for c in reserved if c['meets_rule'])}")
    dialogue = figures["dialogue_follow_up"]
    click.echo(f"Dialogkrav: {dialogue['contracts']} avtal, uppföljda {dialogue['followed_up']}, dialog förd "
               f"{dialogue['dialogue_held']}, anställda genom dialogen {dialogue['people_hired']}")
    shortfalls = [c for c in contracts if c.get("shortfall_months")]
    click.echo(f"Underskott vid uppfyllelsedatum: {len(shortfalls)} avtal, sanktioner: "
               f"{sum(1 for c in contracts if c.get('sanction') and c['sanction'] != 'none')}")
    click.echo(f"Samhällsekonomisk uppskattning: {figures['socio_economic_value_sek']:,} kr".replace(",", " "))


@main.command()
@click.option("--procurements", default=120, show_default=True, type=click.IntRange(1, 2000))
@click.option("--participants", default=150, show_default=True, type=click.IntRange(0, 5000))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--database-url", default=None, help="Where to run it (default: a new temporary SQLite file).")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def simulate(procurements: int, participants: int, seed: int, database_url: str | None, as_json: bool) -> None:
    """Run a city-year through the engine and print the follow-up figures. Same seed, same figures."""
    with tempfile.TemporaryDirectory() as tmp:
        # The run's own settings, so that the environment cannot change what a seed gives.
        config = EngineConfig(database_url=database_url or f"sqlite:///{tmp}/simulation.db")
        engine = Engine(config, FrozenClock(START))
        migrate_database(engine.sql_engine)
        plan = make_plan(procurements, participants, seed, config.settings["screening_min_months"],
                         config.settings["screening_min_workers"])
        simulation = Simulation(engine, plan, seed, PROCESSES_DIR)
        started = time.perf_counter()
        with click.progressbar(length=WEEKS, label="Simulerar vecka för vecka", file=sys.stderr) as bar:
            simulation.run(bar.update)
        elapsed = time.perf_counter() - started
        figures = follow_up(engine, config.settings["socio_economic_values"],
                            config.settings["distribution_key"]).as_dict()
        engine.dispose()
    if as_json:
        click.echo(json.dumps(figures, indent=2, ensure_ascii=False, default=str))
    else:
        _print_figures(figures)
    click.echo(f"{len(simulation.instances)} instances, {simulation.commands} commands, {elapsed:.1f} s", err=True)


@main.command()
def report() -> None:
    """Print the follow-up figures (nyckeltal) as JSON."""
    engine = open_engine()
    figures = follow_up(engine, engine.config.settings["socio_economic_values"],
                        engine.config.settings["distribution_key"])
    click.echo(json.dumps(figures.as_dict(), indent=2, ensure_ascii=False))


