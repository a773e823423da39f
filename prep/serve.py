"""`make serve`: gunicorn's sync workers behind nginx, and runner workers, in the foreground.

nginx (prep/nginx.conf) reads every request in full before gunicorn sees it, so slow or stalled
clients cannot hold a worker. gunicorn listens only on a Unix socket in a private folder, so
nothing reaches it except through nginx, which is what lets the app trust the address nginx
appends to X-Forwarded-For (PROXY_COUNT=1) for its per-address throttles. Runner workers
(`manage.py db_worker`) execute the queued code runs, off the web workers. Ctrl-C (or SIGTERM)
stops them all; if gunicorn or nginx exits, the others are stopped too, while a runner worker that
exits is replaced.
"""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = Path(__file__).with_name("nginx.conf")
NGINX_CANDIDATES = ("nginx", "/usr/sbin/nginx")
# Above the longest request served on purpose (a code run stops after 10 s of wall clock).
WORKER_TIMEOUT_SECONDS = 30


def find_nginx() -> str | None:
    return next(filter(None, (shutil.which(c) for c in NGINX_CANDIDATES)), None)


def nginx_config(run_dir: Path, socket: Path, host: str, port: int) -> str:
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    text = NGINX_TEMPLATE.read_text()
    for key, value in {"run_dir": run_dir, "socket": socket, "listen": listen}.items():
        text = text.replace("{" + key + "}", str(value))
    if os.geteuid() == 0:
        # Started as root, nginx would switch its workers to `nobody`, which cannot reach the
        # private socket; they run as the same user as gunicorn's workers instead.
        text = f"user {getpass.getuser()};\n" + text
    return text


def _wait_for_socket(path: Path, process: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("gunicorn did not start; see its output above.")
        time.sleep(0.1)


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=WORKER_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()


def serve(host: str, port: int, workers: int, runners: int) -> int:
    nginx = find_nginx()
    if nginx is None:
        raise SystemExit(
            "make serve puts nginx in front of gunicorn, and nginx is not installed. "
            "Install it (Debian/Ubuntu: apt-get install nginx) and re-run."
        )
    with tempfile.TemporaryDirectory(prefix="prep-serve-") as tmp:
        run_dir = Path(tmp)
        socket = run_dir / "gunicorn.sock"
        config = run_dir / "nginx.conf"
        config.write_text(nginx_config(run_dir, socket, host, port))
        env = {**os.environ, "PROXY_COUNT": "1"}
        gunicorn = Path(sys.executable).with_name("gunicorn")
        app = subprocess.Popen(  # noqa: S603 - fixed command line
            [str(gunicorn), "prep.wsgi", "--bind", f"unix:{socket}", "--workers", str(workers),
             "--timeout", str(WORKER_TIMEOUT_SECONDS), "--graceful-timeout", "20",
             "--control-socket", str(run_dir / "gunicorn.ctl")],
            cwd=ROOT, env=env,
        )  # fmt: skip
        # Runner workers poll the queue often: queue latency, not CPU, is what users notice.
        worker = [sys.executable, "manage.py", "db_worker", "--interval", "0.25", "--no-reload"]

        def start_runner() -> subprocess.Popen:
            return subprocess.Popen(worker, cwd=ROOT, env=env)  # noqa: S603 - fixed command line

        runner_processes = [start_runner() for _ in range(runners)]
        processes = [app]
        stopping = False

        def request_stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        try:
            _wait_for_socket(socket, app, seconds=60)
            proxy = subprocess.Popen(  # noqa: S603 - fixed command line
                [nginx, "-e", "stderr", "-p", str(run_dir), "-c", str(config), "-g", "daemon off;"],
                cwd=run_dir,
            )
            processes.append(proxy)
            print(
                f"Serving on http://{host}:{port}/ (nginx in front of {workers} gunicorn "
                f"workers; {runners} runner workers). Ctrl-C stops them all.",
                flush=True,
            )
            while not stopping and all(p.poll() is None for p in processes):
                # A runner worker that dies (killed, out of memory) is replaced: its run is
                # retried by the run's watchdog; the site itself keeps serving.
                for index, runner in enumerate(runner_processes):
                    if runner.poll() is not None:
                        print(f"A runner worker exited ({runner.returncode}); starting another.")
                        runner_processes[index] = start_runner()
                time.sleep(0.2)
        finally:
            _stop(processes + runner_processes)
        return 0 if stopping else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--runners", type=int, default=2, help="runner workers (code runs)")
    args = parser.parse_args(argv)
    return serve(args.host, args.port, args.workers, args.runners)


if __name__ == "__main__":
    sys.exit(main())
