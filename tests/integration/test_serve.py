"""`petition-flow serve` is the single embedded process: it serves the pages and runs the
deadline scheduler, which takes the database lease."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # pyproject.toml: `-m "not slow"` leaves it out

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cli(tmp_path, *args, **kw):
    env = {"PETITION_FLOW_INSTANCE": str(tmp_path / "instance"), "PATH": "/usr/bin:/bin",
           "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "petition_flow.cli", *args], env=env,
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kw)


def test_serve_prints_the_address_serves_the_login_page_and_runs_the_scheduler(tmp_path):
    init = _cli(tmp_path, "init")
    init.communicate(timeout=120)
    assert init.returncode == 0
    port = _free_port()
    proc = _cli(tmp_path, "serve", "--port", str(port))
    try:
        url = f"http://127.0.0.1:{port}/login"
        for _ in range(100):
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    assert response.status == 200 and "登录" in response.read().decode()
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError("the server did not answer")
        db = sqlite3.connect(tmp_path / "instance" / "petition_flow.sqlite3")
        for _ in range(50):
            holders = db.execute("select holder from scheduler_leases").fetchall()
            if holders:
                break
            time.sleep(0.2)
        assert holders and holders[0][0]
        db.close()
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/" in out
