"""`make serve` (prep/serve.py): slow clients cannot hold gunicorn's workers, and the
per-address throttles see each client's own address through the proxy."""

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from prep import serve

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
SERVED: dict = {}  # the running `prep.serve` process, for the test that kills one of its runners
SEED = """
from django.contrib.auth.models import User
from tests.factories import make_question, seed_loop
seed_loop()
make_question(slug="double-it", kind="coding", category="coding", rounds=["coding"],
    language="python", starter="", solution="def double(x):\\n    return 2 * x\\n",
    tests="def test_example():\\n    assert double(2) == 4\\n")
User.objects.create_user("runner-user", password="served and queued")
"""

needs_nginx = pytest.mark.skipif(
    serve.find_nginx() is None and os.environ.get("CI") != "true",
    reason="nginx is not installed (make test installs it where it can)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(port: int, path: str = "/", timeout: float = 5.0) -> tuple[int, float]:
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, time.monotonic() - started


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "false",
        "HTTPS": "false",
        "SECRET_KEY": "serve-test-" + "k" * 50,
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        # The queue is under test here, not the sandbox (tests/test_runner_*.py).
        "PREP_CODE_RUNNER": "subprocess",
    }
    for command in (
        ["migrate", "--noinput"],
        ["createcachetable"],
        ["collectstatic", "--noinput"],
        ["shell", "--command", SEED],
    ):
        subprocess.run(
            [sys.executable, "manage.py", *command, "--verbosity", "0"],
            cwd=ROOT, env=env, check=True, timeout=300,
        )  # fmt: skip
    port = _free_port()
    log = open(folder / "serve.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "prep.serve", "--port", str(port), "--workers", str(WORKERS),
         "--runners", "1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            if _get(port, timeout=2)[0] == 200:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("make serve did not start:\n" + (folder / "serve.log").read_text())
        time.sleep(0.2)
    SERVED["process"] = process
    yield port
    process.terminate()
    process.wait(timeout=60)
    log.close()


@needs_nginx
def test_stalled_clients_do_not_hold_the_workers(served):
    stalled = []
    try:
        # Many more stalled clients than workers: half-sent headers, and a body that never comes.
        for _ in range(10 * WORKERS):
            s = socket.create_connection(("127.0.0.1", served))
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            stalled.append(s)
        for _ in range(10 * WORKERS):
            s = socket.create_connection(("127.0.0.1", served))
            s.sendall(
                b"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
                b"username=a"
            )
            stalled.append(s)
        time.sleep(1)
        for _ in range(5):
            status, seconds = _get(served, timeout=10)
            assert status == 200
            # Blocked workers would make this wait for gunicorn's 30 s timeout, not a fraction.
            assert seconds < 5
    finally:
        for s in stalled:
            s.close()


@needs_nginx
def test_a_request_body_over_the_limit_is_refused_by_the_proxy(served):
    connection = http.client.HTTPConnection("127.0.0.1", served, timeout=10)
    connection.request(
        "POST",
        "/accounts/login/",
        body=b"x" * (4 * 1024 * 1024),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert connection.getresponse().status == 413


def test_the_proxy_config_listens_where_asked_and_reaches_only_the_socket(tmp_path):
    text = serve.nginx_config(tmp_path, tmp_path / "app.sock", "127.0.0.1", 8123)
    assert "listen 127.0.0.1:8123;" in text
    assert f"server unix:{tmp_path / 'app.sock'};" in text
    assert "{" + "run_dir}" not in text and "{" + "socket}" not in text
    assert "listen [::1]:8123;" in serve.nginx_config(tmp_path, tmp_path / "s", "::1", 8123)


def test_serve_explains_a_missing_nginx(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(serve, "NGINX_CANDIDATES", ("nginx",))
    with pytest.raises(SystemExit, match="apt-get install nginx"):
        serve.serve("127.0.0.1", _free_port(), 1, 1)


@needs_nginx
def test_code_runs_are_done_by_the_runner_workers(served):
    browser = requests.Session()
    base = f"http://127.0.0.1:{served}"
    browser.get(f"{base}/accounts/login/", timeout=10)
    signed_in = browser.post(
        f"{base}/accounts/login/",
        data={
            "username": "runner-user",
            "password": "served and queued",
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        timeout=10,
    )
    assert signed_in.status_code == 200 and "runner-user" in signed_in.text
    headers = {"HX-Request": "true", "X-CSRFToken": browser.cookies["csrftoken"]}
    answer = browser.post(
        f"{base}/q/double-it/run/",
        data={"code": "def double(x):\n    return x * 2\n", "mode": "submit"},
        headers=headers,
        timeout=10,
    )
    assert answer.status_code == 200
    deadline = time.monotonic() + 30
    while "hx-get" in answer.text and time.monotonic() < deadline:
        poll = re.search(r'hx-get="([^"]+)"', answer.text).group(1)
        time.sleep(0.3)
        answer = browser.get(base + poll, headers={"HX-Request": "true"}, timeout=10)
    assert "All tests: 1 of 1 passed" in answer.text


@needs_nginx
def test_a_runner_worker_that_dies_is_replaced_and_the_site_stays_up(served):
    def runner_pids():
        out = subprocess.run(
            ["pgrep", "-P", str(SERVED["process"].pid), "-f", "db_worker"],
            capture_output=True, text=True, check=False,
        ).stdout  # fmt: skip
        return {int(pid) for pid in out.split()}

    (victim,) = runner_pids()
    os.kill(victim, 9)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and (runner_pids() - {victim}) == set():
        time.sleep(0.2)
    assert len(runner_pids() - {victim}) == 1
    assert _get(served)[0] == 200
    test_code_runs_are_done_by_the_runner_workers(served)  # the replacement runs code
