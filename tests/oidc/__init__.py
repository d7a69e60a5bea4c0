"""A real OpenID provider for the tests: tests/oidc/provider.mjs (panva's oidc-provider from
node_modules) in a node process on 127.0.0.1 and a free port.

Without node or the package (`npm ci` installs it) the tests that need it are skipped, unless
KEDJA_REQUIRE_BROWSER=1 (as in CI), where they fail."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).resolve().parent / "provider.mjs"
CLIENT_ID, CLIENT_SECRET = "kedja", "test-secret"


def missing() -> str | None:
    """Why the provider cannot run here (None: it can)."""
    if shutil.which("node") is None:
        return "no node on PATH"
    if not (ROOT / "node_modules" / "oidc-provider").is_dir():
        return "no node_modules/oidc-provider (run npm ci)"
    return None


def require() -> None:
    if (reason := missing()) is not None:
        if os.environ.get("KEDJA_REQUIRE_BROWSER") == "1":
            pytest.fail(f"the OpenID provider cannot run: {reason}")
        pytest.skip(f"the OpenID provider cannot run: {reason}")


@contextlib.contextmanager
def provider(redirect_uri: str, timeout: float = 30):
    """Run the provider; yields its issuer URL. Its warnings go to a file (a pipe could fill),
    shown if it does not start."""
    require()
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            ["node", str(SCRIPT), "--redirect-uri", redirect_uri, "--client-id", CLIENT_ID,
             "--client-secret", CLIENT_SECRET], cwd=ROOT, stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            first = {}
            reader = threading.Thread(target=lambda: first.setdefault("line", process.stdout.readline()),
                                      daemon=True)
            reader.start()
            reader.join(timeout)
            if not first.get("line"):
                process.kill()
                log.seek(0)
                raise RuntimeError(f"the OpenID provider did not start: {log.read()[-2000:]}")
            yield json.loads(first["line"])["issuer"]
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
