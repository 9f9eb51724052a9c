"""`python -m customersignal.local.serve` as `make up` runs it: a real uvicorn server with two workers.

A tiny Chalice app and a template naming it are written to tmp_path; the server reads the template, imports
the app from its CodeUri and answers real HTTP. No timing is asserted: the readiness wait and the process
waits are deadlines for a broken server, not measurements, and they scale with the machine's load.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from customersignal.local.gateway_stats import WorkerStats, read_stats
from tests.fixtures.services import process_gone
from tests.support.waits import scaled, wait_for, wait_until

pytestmark = pytest.mark.integration

TINY_APP = """\
import os

from chalice import Chalice, Response

app = Chalice(app_name="tiny")


@app.route("/pid")
def pid():
    return {
        "pid": os.getpid(),
        "greeting": os.environ.get("GREETING"),
        "protocol": os.environ.get("CS_KAFKA_SECURITY_PROTOCOL"),
        "stage": os.environ.get("TINY_STAGE"),
    }


@app.route("/echo", methods=["POST"])
def echo():
    request = app.current_request
    body = {"got": request.json_body, "resource": request.context["resourcePath"], "id": request.context["requestId"]}
    return Response(body=body, status_code=201, headers={"X-Echo": "yes"})
"""

TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev}
Globals:
  Function:
    Runtime: python3.12
    Timeout: 10
    Environment:
      Variables:
        GREETING: hello
        CS_KAFKA_SECURITY_PROTOCOL: SASL_SSL
        TINY_STAGE: !Ref Stage
Resources:
  TinyFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: tiny/
      Handler: app.app
      Events:
        Pid: {Type: Api, Properties: {Path: /pid, Method: GET}}
        Echo: {Type: Api, Properties: {Path: /echo, Method: POST}}
"""

READY_DEADLINE_S = 60.0
TEMPLATE_ENV = ("GREETING", "CS_KAFKA_SECURITY_PROTOCOL", "TINY_STAGE")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=scaled(30))

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve_command(template: Path, function: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "customersignal.local.serve",
        "--template",
        str(template),
        "--function",
        function,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "2",
        "--stats-dir",
        str(template.parent / "run"),
    ]


def get_json(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, json.loads(response.read())


def wait_until_ready(server: Server) -> None:
    def status() -> int:
        if server.process.poll() is not None:
            pytest.fail(f"the server exited with {server.process.returncode}:\n{server.output()}", pytrace=False)
        conn = server.connect()
        try:
            return get_json(conn, "GET", "/pid")[0]
        finally:
            conn.close()

    wait_for(status, lambda code: code == 200, "GET /pid to answer 200", base_s=READY_DEADLINE_S, ignore=(OSError,))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / "app.py").write_text(TINY_APP)
    template = tmp_path / "template.yaml"
    template.write_text(TEMPLATE)
    return template


@pytest.fixture
def server(project: Path, tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    log = tmp_path / "server.log"
    env = {k: v for k, v in os.environ.items() if k not in TEMPLATE_ENV}
    with log.open("wb") as out:
        process = subprocess.Popen(
            serve_command(project, "TinyFunction", port), cwd=tmp_path, env=env, stdout=out, stderr=out
        )
    started = Server(process, port, log)
    try:
        wait_until_ready(started)
        yield started
    finally:
        if process.poll() is None:
            process.terminate()  # uvicorn stops its workers; a SIGKILL would orphan them
            try:
                process.wait(timeout=scaled(30))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=scaled(30))


def test_json_round_trip(server: Server) -> None:
    conn = server.connect()
    conn.request("POST", "/echo", body=b'{"event_type": "signup"}', headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    body = json.loads(response.read())
    conn.close()
    assert response.status == 201
    assert body["got"] == {"event_type": "signup"}
    assert body["resource"] == "/echo"
    assert response.getheader("x-amzn-RequestId") == body["id"]
    uuid.UUID(body["id"])
    assert response.getheader("X-Echo") == "yes"
    assert response.getheader("Content-Type") == "application/json"
    assert response.getheader("X-Amzn-Trace-Id", "").startswith("Root=1-")


def test_workers_report_their_response_counts_for_status(server: Server, tmp_path: Path) -> None:
    # Given both workers reporting, and the one successful readiness check counted
    stats_dir = tmp_path / "run"
    wait_for_stats(stats_dir, lambda workers: len(workers) == 2 and totals(workers) == {"2xx": 1, "4xx": 0})
    # When 6 requests succeed and 2 are refused by the gateway
    conn = server.connect()
    for _ in range(6):
        assert get_json(conn, "GET", "/pid")[0] == 200
    for _ in range(2):
        assert get_json(conn, "GET", "/nope")[0] == 403
    conn.close()

    # Then, within the workers' next writes, the counters grew by exactly that, per status class
    wait_for_stats(stats_dir, lambda workers: totals(workers) == {"2xx": 7, "4xx": 2})
    # And a stopped server leaves no counts behind
    server.process.terminate()
    server.process.wait(timeout=scaled(30))
    assert read_stats(stats_dir) == []
    assert not list(stats_dir.glob("gateway-*.json"))


def totals(workers: list[WorkerStats]) -> dict[str, int]:
    return {name: sum(w.responses.get(name, 0) for w in workers) for name in ("2xx", "4xx")}


def wait_for_stats(stats_dir: Path, done: Callable[[list[WorkerStats]], bool]) -> list[WorkerStats]:
    return wait_for(lambda: read_stats(stats_dir), done, f"the gateway stats in {stats_dir}", base_s=READY_DEADLINE_S)


def test_unknown_route_is_missing_authentication_token(server: Server) -> None:
    conn = server.connect()
    status, body = get_json(conn, "GET", "/nope")
    conn.close()
    assert (status, body) == (403, {"message": "Missing Authentication Token"})


def test_template_environment_reaches_the_function(server: Server) -> None:
    conn = server.connect()
    _, body = get_json(conn, "GET", "/pid")
    conn.close()
    assert body["greeting"] == "hello"  # a plain template value
    assert body["protocol"] is None  # CS_* settings keep their local defaults
    assert body["stage"] is None  # an intrinsic only a deployment resolves


def test_keep_alive_connection_and_two_workers(server: Server, tmp_path: Path) -> None:
    # Given both workers serving (each reports its counts once its app is loaded and it listens)
    wait_for_stats(tmp_path / "run", lambda workers: len(workers) == 2)
    # A kept-alive connection stays with one worker and every answer on it is right
    conn = server.connect()
    answers = [get_json(conn, "POST", "/echo", json.dumps({"n": n}).encode()) for n in range(200)]
    conn.close()
    assert [(status, body["got"]) for status, body in answers] == [(201, {"n": n}) for n in range(200)]
    assert len({body["id"] for _, body in answers}) == 200
    # New connections are shared by both workers (each a process of its own, not the supervisor): the kernel
    # hands each to whichever worker accepts first, so ask until both have answered
    pids: set[int] = set()

    def answering_pids() -> set[int]:
        conn = server.connect()
        try:
            status, body = get_json(conn, "GET", "/pid")
        finally:
            conn.close()
        assert status == 200
        pids.add(body["pid"])
        return pids

    wait_for(answering_pids, lambda seen: len(seen) == 2, "answers from both workers", first_interval_s=0.0)
    assert server.process.pid not in pids
    # SIGTERM stops the server cleanly, workers included
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=scaled(60)) == 0, server.output()
    wait_until(lambda: all(process_gone(pid) for pid in pids), f"the workers {pids} to exit with the server")


def test_missing_function_exits_2_and_says_what_to_do(project: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        serve_command(project, "ApiFunction", free_port()),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=scaled(120),
    )
    assert done.returncode == 2
    assert "TinyFunction" in done.stderr  # the functions the template does have
    assert "--function NAME" in done.stderr


def test_broken_app_exits_2_before_serving(project: Path, tmp_path: Path) -> None:
    (tmp_path / "tiny" / "app.py").write_text("import not_a_module_anywhere\n")
    done = subprocess.run(
        serve_command(project, "TinyFunction", free_port()),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=scaled(120),
    )
    assert done.returncode == 2
    assert "not_a_module_anywhere" in done.stderr


def test_a_killed_server_leaves_no_worker_behind(server: Server) -> None:
    # Given a running server with two worker processes
    workers = [
        int(p) for p in Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children").read_text().split()
    ]
    alive = [pid for pid in workers if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")]
    assert len(alive) == 2, workers
    # When the supervisor is killed outright
    server.process.kill()
    server.process.wait(timeout=scaled(30))
    # Then its workers stop too (an exited worker may stay a zombie until init reaps it), and the port is free
    wait_until(lambda: all(process_gone(pid) for pid in alive), f"the workers {alive} to exit")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", server.port))
