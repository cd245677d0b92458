"""A REST server, a CLI writer and a searcher, three processes on one store: no
write lost, no "database is locked", every write found by the others' searches."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2 as httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SEARCHER = """
import sys
from memcli import Memory
errors = 0
with Memory() as m:
    for n in range(int(sys.argv[1])):
        try:
            m.search("write number", limit=5)
        except Exception as exc:
            errors += 1
            print(type(exc).__name__, exc, file=sys.stderr)
print(errors)
"""


def test_a_server_a_cli_writer_and_a_searcher_share_one_store(home: Path) -> None:
    env = dict(os.environ)
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "memcli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=60) as api:
            for _ in range(600):  # the server's start-up, waited for by asking it
                try:
                    if api.get("/memories", params={"user_id": "alice"}).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            writer = subprocess.Popen(
                [sys.executable, "-c", "import subprocess, sys\n"
                 "for n in range(15):\n"
                 "    subprocess.run([sys.executable, '-m', 'memcli', 'add', f'cli write number {n} about kites'],"
                 " check=True, capture_output=True)\n"], env=env, stderr=subprocess.PIPE)
            searcher = subprocess.Popen([sys.executable, "-c", SEARCHER, "40"], env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
            for n in range(30):
                response = api.post("/memories", json={"text": f"server write number {n} about owls",
                                                       "user_id": "alice", "infer": False})
                assert response.status_code == 200, response.text
            assert writer.wait(timeout=600) == 0, writer.stderr.read() if writer.stderr else ""
            out, err = searcher.communicate(timeout=600)
            assert searcher.returncode == 0 and out.strip() == b"0", err

            listed = api.get("/memories", params={"user_id": "alice", "limit": 0}).json()["results"]
            assert len(listed) == 45
            kites = api.post("/search", json={"query": "cli write number kites", "user_id": "alice", "limit": 15})
            assert {h["memory"] for h in kites.json()["results"]} == {
                f"cli write number {n} about kites" for n in range(15)}  # the CLI's writes, seen by the server
        owls = subprocess.run([sys.executable, "-m", "memcli", "search", "server write number owls", "--limit", "30",
                               "--json"], env=env, capture_output=True, check=True)
        import json

        assert {h["memory"] for h in json.loads(owls.stdout)["results"]} == {
            f"server write number {n} about owls" for n in range(30)}  # the server's, seen by the CLI
    finally:
        server.terminate()
        _, err = server.communicate(timeout=60)
    assert b"locked" not in err and b"Traceback" not in err, err.decode()
