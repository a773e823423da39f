"""`make serve` (prep/serve.py): slow clients cannot hold gunicorn's workers, and the
per-address throttles see each client's own address through the proxy."""

import http.client
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from prep import serve

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2

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
    }
    for command in (["migrate", "--noinput"], ["createcachetable"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [sys.executable, "manage.py", *command, "--verbosity", "0"],
            cwd=ROOT, env=env, check=True, timeout=300,
        )  # fmt: skip
    port = _free_port()
    log = open(folder / "serve.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "prep.serve", "--port", str(port), "--workers", str(WORKERS)],
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
        serve.serve("127.0.0.1", _free_port(), 1)
