"""APScheduler wiring only: run the engine's sweep every few seconds in a background thread."""
from __future__ import annotations

import logging
import threading

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from .commands import DetectStalls, Sweep
from .script_pool import POOL
from .service import Engine

log = logging.getLogger("kedja.scheduler")


def _sweep_job(engine: Engine) -> None:
    report = engine.execute(Sweep(limit=engine.config.sweep_batch_size))
    if report.timers_fired or report.messages_routed or report.messages_expired or report.timers_failed:
        log.info("sweep: %s", report)


def _stall_job(engine: Engine) -> None:
    try:
        engine.execute(DetectStalls())
    except Exception:  # e.g. two nodes detecting at once: the next run catches up
        log.exception("stall detection failed")


def _add_job(scheduler, engine: Engine) -> None:
    # One run at a time per process; a run that starts late is merged, not stacked.
    scheduler.add_job(_sweep_job, "interval", seconds=engine.config.sweep_interval_seconds, args=[engine],
                      id="kedja-sweep", max_instances=1, coalesce=True, replace_existing=True)
    scheduler.add_job(_stall_job, "interval", seconds=engine.config.stall_interval_seconds, args=[engine],
                      id="kedja-stalls", max_instances=1, coalesce=True, replace_existing=True)


def _warm_scripts(engine: Engine) -> None:
    """Start the script workers beside the server (not at its first script), without holding
    up its first requests."""
    def warm():
        try:
            with engine.step_settings():  # the engine's pool size and limits
                POOL.warm()
        except Exception:  # a script then starts them itself
            log.exception("starting the script workers failed")
    threading.Thread(target=warm, name="kedja-script-warmup", daemon=True).start()


def start_background(engine: Engine) -> BackgroundScheduler:
    _warm_scripts(engine)
    scheduler = BackgroundScheduler(daemon=True)
    _add_job(scheduler, engine)
    scheduler.start()
    return scheduler


def run_forever(engine: Engine) -> None:
    _warm_scripts(engine)
    scheduler = BlockingScheduler()
    _add_job(scheduler, engine)
    scheduler.start()
