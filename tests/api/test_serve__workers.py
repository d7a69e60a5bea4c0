"""`kedja serve --workers N`: several server processes on one port and one PostgreSQL database."""
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from engine.accounts import add_organisation, add_user

from ..helpers import PG_URL
from .test_crash__sigkill import ROOT, _free_port

TIMEOUT = 60


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not PG_URL, reason="several workers need PostgreSQL")
@pytest.mark.timeout(120)
def test_two_workers_share_the_port_and_the_database(make_engine, database_url):
    url, schema = database_url
    engine = make_engine(forms_dir=None)
    with engine.uow() as uow:
        add_organisation(uow, "Higab")
        uow.repo.flush()
        token = add_user(uow, "higab", "Higab", ["caseworker"], engine.now())
        uow.commit()
    port = _free_port()
    env = {**os.environ, "KEDJA_DATABASE_URL": url, "KEDJA_DATABASE_SCHEMA": schema}
    server = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", "2"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/health", timeout=1).ok and len(_children(server.pid)) == 2:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        assert len(_children(server.pid)) == 2

        statuses, lock = [], threading.Lock()

        def start(worker: int):
            session = requests.Session()
            for n in range(10):
                response = session.post(f"{base}/instances", timeout=10, headers={"Authorization": f"Bearer {token}"},
                                        json={"process": "procurement", "business_key": f"W{worker}-{n}",
                                              "data": {"procurement_id": f"W{worker}-{n}",
                                                       "buyer_organisation": "Higab"}})
                with lock:
                    statuses.append(response.status_code)

        threads = [threading.Thread(target=start, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(TIMEOUT)
        assert statuses == [201] * 40
        listed = requests.get(f"{base}/instances?process=procurement", timeout=10,
                              headers={"Authorization": f"Bearer {token}"}).json()
        assert listed["total"] == 40
    finally:
        workers = _children(server.pid)
        server.send_signal(signal.SIGTERM)
        server.wait(TIMEOUT)
    assert server.returncode == 0 and not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_workers_are_refused_on_sqlite(tmp_path):
    env = {**os.environ, "KEDJA_DATABASE_URL": f"sqlite:///{tmp_path}/kedja.db", "KEDJA_DATABASE_SCHEMA": ""}
    result = subprocess.run([sys.executable, "-m", "api.cli", "serve", "--workers", "2", "--port", str(_free_port())],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 2 and "--workers needs PostgreSQL" in result.stderr
