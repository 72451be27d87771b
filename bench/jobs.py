"""Reception latency with and without the job path, and the IOC projection's lag under load.

Same server, same run (built on bench/intake.py's data and clients):

1. intake with no job consumer running (`tinhso serve --no-worker`): each submission writes its
   dossier, its event and its outbox row and enqueues a dispatcher nudge; nothing consumes;
2. intake with a `tinhso worker` process consuming at the same time (the production layout on
   one machine): the "ioc" consumer applies the events to the facts while requests arrive.

During phase 2 the benchmark samples the "ioc" consumer's lag (age of the oldest undelivered
event) every 0.25 s, and after the load measures how long the backlog takes to drain. SQLite
with the SQLite queue by default; DATABASE_URL=postgres://… and TINHSO_JOBS_URL=redis://… for
the production stores.

    .venv/bin/python bench/jobs.py --requests 1000 --concurrency 8
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from intake import PDF, ROOT, drive, free_port, prepare, report  # noqa: E402


def wait_healthy(url: str) -> None:
    for _ in range(600):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("server did not start")


def backlog() -> tuple[int, float]:
    from django.db import connections
    from django.utils import timezone

    from tinhso.ioc.consumer import TYPES
    from tinhso.outbox.selectors import consumer_backlog

    b = consumer_backlog("ioc", TYPES)
    connections.close_all()
    lag = (timezone.now() - b.oldest_pending_at).total_seconds() if b.oldest_pending_at else 0.0
    return b.pending, lag


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8, help="server worker threads")
    parser.add_argument("--workers", type=int, default=2, help="job worker threads")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tinhso-bench-jobs-"))
    env = dict(os.environ, TINHSO_VAR_DIR=str(workdir), DJANGO_SETTINGS_MODULE="tinhso.settings",
               TINHSO_ALERT_SCAN_SECONDS="0")
    os.environ.update(env)
    procedure, agency, tokens = prepare(args.concurrency)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "tinhso", "serve", "--port", str(port), "--no-worker",
         "--threads", str(args.threads)], env=env, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker: subprocess.Popen[bytes] | None = None
    try:
        wait_healthy(url)

        def submit(client, index, i):
            payload = {"procedure": procedure, "agency": agency,
                       "form_data": {"ho_ten": f"Nguyễn Văn {i}"}}
            return client.post(
                "/api/v1/dossiers/",
                data={"payload": json.dumps(payload, ensure_ascii=False)},
                files={"to-khai": ("to-khai.pdf", PDF + str(i).encode(), "application/pdf")},
                headers={"Authorization": f"Bearer {tokens[index]}",
                         "Idempotency-Key": f"bench-{time.time_ns()}-{i}"})

        print(f"database: {env.get('DATABASE_URL', 'sqlite (embedded)')}; queue: "
              f"{env.get('TINHSO_JOBS_URL') or 'sqlite (embedded)'}; server threads "
              f"{args.threads}; clients {args.concurrency}; requests {args.requests} per phase")
        drive(url, min(100, args.requests), args.concurrency, submit)  # warm-up
        without = report("intake, no consumer running", args.requests,
                         *drive(url, args.requests, args.concurrency, submit))
        pending, _ = backlog()
        worker = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "tinhso", "worker", "--workers", str(args.workers)],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.perf_counter()
        while backlog()[0]:
            time.sleep(0.1)
        catch_up = time.perf_counter() - started
        print(f"worker start + backlog of {pending} events applied in {catch_up:.1f} s")

        samples: list[float] = []
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append(backlog()[1])
                done.wait(0.25)

        sampler = threading.Thread(target=sample)
        sampler.start()
        with_jobs = report("intake, worker consuming", args.requests,
                           *drive(url, args.requests, args.concurrency, submit))
        done.set()
        sampler.join()
        started = time.perf_counter()
        while backlog()[0]:
            time.sleep(0.05)
        drained = time.perf_counter() - started
        q = statistics.quantiles(samples, n=100) if len(samples) > 1 else samples * 99
        print(f"ioc projection lag during the load: p50 {q[49]:.2f} s, p99 {q[98]:.2f} s, "
              f"max {max(samples):.2f} s ({len(samples)} samples); drained "
              f"{drained:.2f} s after the last request")
        print(f"throughput with the worker / without: {with_jobs / without:.2f}")
    finally:
        for proc in (worker, server):
            if proc is not None:
                proc.terminate()
                proc.wait(30)


if __name__ == "__main__":
    main()
