"""Script tasks run in a pool of worker processes, under limits the operating system enforces.

A script from a diagram may loop (`while True: pass` on one line fires no trace event), catch
any exception a budget raises (`except:`), or hold the interpreter in one C call
(`10**10**10`). None of that can be stopped from inside the process that runs it, so the
server never runs a script itself: a worker does, with
- a CPU-time limit (RLIMIT_CPU, set before each script to what the worker has used plus the
  limit): past it the kernel ends the worker with SIGXCPU;
- an address-space limit (RLIMIT_AS): an allocation past it fails with MemoryError;
- a wall-clock timeout kept by the pool in the server: past it the worker is killed.
A killed worker is replaced by the pool. The server's threads only wait on a future, so
health, the sweep and other requests go on meanwhile.

pebble's ProcessPool does the pool, the timeout and the replacement (see docs/scripts.md for
why it was chosen). Workers are forked from a fork server that has imported only
engine.sandbox and the main module, so a fork of the multi-threaded server is never used and
a new worker starts in milliseconds. As with any multiprocessing start method but fork, the
main module is imported again (as `__mp_main__`) in the fork server, so a main script must
keep its work under `if __name__ == "__main__"`.
"""
from __future__ import annotations

import atexit
import contextvars
import math
import multiprocessing
import multiprocessing.util
import os
import resource
import signal
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from pebble import ProcessExpired, ProcessPool

from . import sandbox, stepping


@dataclass(frozen=True)
class ScriptLimits:
    cpu_seconds: float = 2.0
    memory_bytes: int = 256 * 1024 * 1024
    wall_seconds: float = 5.0
    workers: int = 2


# The limits of the engine whose command runs the script: a context variable, so engines with
# different limits in one process do not share a module-wide setting.
_limits: contextvars.ContextVar[ScriptLimits] = contextvars.ContextVar(
    "kedja_script_limits", default=ScriptLimits())  # noqa: B039 (frozen)


@contextmanager
def script_limits(limits: ScriptLimits) -> Iterator[None]:
    token = _limits.set(limits)
    try:
        yield
    finally:
        _limits.reset(token)


class ScriptLimitExceeded(Exception):
    """The script was stopped at a limit; the text (Swedish) names the limit."""


def _address_space_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def _init_worker(memory_bytes: int) -> None:
    """The memory limit counts from what the worker holds before its first script: a worker
    re-imports the server's main module (multiprocessing's rule), so that differs by command."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # SIGXCPU would otherwise dump a core
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _address_space_bytes() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle


def _run_limited(script: str, context: dict, external: dict | None, settings: dict, cpu_seconds: float,
                 now, zone: str) -> dict:
    """In the worker: allow this script `cpu_seconds` more than the worker has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(used + cpu_seconds)
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))
    return sandbox.run_script(script, context, external, settings, now, zone)


def _noop() -> None:
    return None


def _limit_text(limits: ScriptLimits) -> dict[str, str]:
    return {
        "cpu": f"det använde mer än {limits.cpu_seconds:g} s processortid",
        "memory": f"det behövde mer än {limits.memory_bytes // (1024 * 1024)} MiB minne",
        "wall": f"det tog längre än {limits.wall_seconds:g} s",
    }


class ScriptPool:
    """One pool per process (forked server processes each make their own on first use). Its
    size and memory limit are those of the limits it was started with; a run under other ones
    restarts it (one engine per process is the rule, so that happens in tests only)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPool | None = None
        self._pid: int | None = None
        self._shape: tuple[int, int] | None = None  # (workers, memory_bytes) of the running pool

    def _started(self, limits: ScriptLimits) -> ProcessPool:
        with self._lock:
            if self._shape != (limits.workers, limits.memory_bytes):
                self._stop_locked()
            if self._pool is None or self._pid != os.getpid() or not self._pool.active:
                context = multiprocessing.get_context("forkserver")
                # The fork server imports the main module once (multiprocessing would import it
                # again in every worker), so a worker, new or replacing a killed one, is a fork.
                context.set_forkserver_preload(["__main__", "engine.sandbox"])
                self._pool = ProcessPool(max_workers=limits.workers, initializer=_init_worker,
                                         initargs=(limits.memory_bytes,), context=context)
                self._pid = os.getpid()
                self._shape = (limits.workers, limits.memory_bytes)
                # A process started by multiprocessing joins its children when its target returns,
                # before atexit runs: without this finalizer it would wait for the workers for ever.
                multiprocessing.util.Finalize(None, self.stop, exitpriority=100)
            return self._pool

    def run(self, script: str, context: dict, external: dict | None = None) -> dict:
        """Run `script` on a copy of `context` in a worker; return the data it leaves."""
        limits = _limits.get()
        future = self._started(limits).schedule(
            _run_limited, args=(script, context, dict(external or {}), stepping.current_settings(),
                                limits.cpu_seconds, stepping.step_moment(), stepping.zone_name()),
            timeout=limits.wall_seconds)
        texts = _limit_text(limits)
        try:
            return future.result()
        except FutureTimeout:
            raise ScriptLimitExceeded(texts["wall"]) from None
        except ProcessExpired as err:  # the kernel ended the worker: SIGXCPU is the CPU limit
            if err.exitcode == -signal.SIGXCPU:
                raise ScriptLimitExceeded(texts["cpu"]) from None
            if err.exitcode == -signal.SIGKILL:  # the pool's own kill, or the OOM killer
                raise ScriptLimitExceeded(texts["wall"]) from None
            raise ScriptLimitExceeded(f"arbetsprocessen avslutades oväntat (kod {err.exitcode})") from None
        except MemoryError:
            raise ScriptLimitExceeded(texts["memory"]) from None

    def warm(self) -> None:
        """Start the workers now rather than at the first script (a server calls this at start)."""
        limits = _limits.get()
        futures = [self._started(limits).schedule(_noop) for _ in range(limits.workers)]
        for future in futures:
            future.result(timeout=60)

    def stop(self) -> None:
        with self._lock:
            self._stop_locked()

    def _stop_locked(self) -> None:
        if self._pool is not None and self._pid == os.getpid():
            self._pool.stop()
            self._pool.join(timeout=5)
        self._pool = None
        self._shape = None


POOL = ScriptPool()
atexit.register(POOL.stop)
