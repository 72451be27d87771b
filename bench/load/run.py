"""Load test of the main journeys: locust against the production layout, memory watched.

Starts, on a fresh database (PostgreSQL by default: ``--database-url``), ``tinhso serve
--workers N`` (N server processes on one socket) and M ``tinhso worker`` processes on a Redis
queue, prepares accounts and tokens, runs locust headless (bench/load/locustfile.py) with U
users for the given minutes, samples the resident memory of every server and worker process
every 10 s, and prints per journey: requests/s, p50/p95/p99 and failures, then each process's
memory at the start, the end and its growth per 10 minutes over the second half of the soak.
The baseline in the same run is ``GET /healthz`` measured alone for 20 s before the soak.

    .venv/bin/pip install locust
    .venv/bin/python bench/load/run.py --minutes 30 --users 50     # the issue's soak
    .venv/bin/python bench/load/run.py --minutes 2 --users 20      # a quick check
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
TINHSO = str(Path(sys.executable).with_name("tinhso"))
LOCUST = str(Path(sys.executable).with_name("locust"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_postgres(url: str) -> None:
    import psycopg

    admin, name = url.rsplit("/", 1)
    with psycopg.connect(admin + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare(citizens: int, officers: int, path: Path) -> None:
    """Migrate, create the PKI, one province with an agency and a procedure, accounts with API
    tokens; write what the locustfile needs to ``path``."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("pki", "init", "--if-missing", verbosity=0)
    from tests import factories  # the test suite's small factories: the same shapes

    from tinhso.accounts.models import ApiToken
    from tinhso.accounts.tokens import generate_token, hash_token

    def token(user) -> str:
        raw = generate_token()
        ApiToken.objects.create(user=user, name="load", prefix=raw[:12], key_hash=hash_token(raw))
        return raw

    province = factories.make_province()
    agency = factories.make_agency(unit=province)
    procedure = factories.make_procedure(agencies=[agency], processing_days="5")
    today = dt.date.today()
    data = {
        "procedure": procedure.code, "agency": agency.code, "scope": f"agency:{agency.code}",
        "month_start": today.replace(day=1).isoformat(), "today": today.isoformat(),
        "citizens": [token(factories.make_citizen()) for _ in range(citizens)],
        "receivers": [token(factories.make_official(agency, "receiver"))
                      for _ in range(officers)],
        "leaders": [token(factories.make_official(agency, "leader")) for _ in range(2)],
    }
    path.write_text(json.dumps(data), encoding="utf-8")


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def family(pid: int) -> list[int]:
    """The process and its descendants (serve --workers forks its server processes)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            children = []
        todo += [int(c) for c in children]
    return out


def baseline(base: str, seconds: int = 20, clients: int = 8) -> float:
    stop = time.monotonic() + seconds
    count = 0
    lock = threading.Lock()

    def hammer() -> None:
        nonlocal count
        with httpx.Client(base_url=base, timeout=30) as client:
            while time.monotonic() < stop:
                client.get("/healthz")
                with lock:
                    count += 1

    threads = [threading.Thread(target=hammer) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return count / seconds


def main() -> None:  # noqa: PLR0915
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--servers", type=int, default=2, help="serve --workers N")
    parser.add_argument("--job-workers", type=int, default=1)
    parser.add_argument("--database-url",
                        default="postgres://postgres@127.0.0.1:5432/tinhso_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="tinhso-load-"))
    env = {**os.environ, "DATABASE_URL": args.database_url, "TINHSO_VAR_DIR": str(work),
           "TINHSO_JOBS_URL": args.redis_url, "TINHSO_DEBUG": "false",
           "TINHSO_REQUEST_LOG": "false",
           "DJANGO_SETTINGS_MODULE": "tinhso.settings", "PYTHONPATH": str(ROOT)}
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    if args.database_url.startswith("postgres"):
        fresh_postgres(args.database_url)
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    data = work / "load.json"
    prepare(citizens=max(10, args.users), officers=5, path=data)
    env["TINHSO_LOAD_DATA"] = str(data)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    logs = open(work / "processes.log", "w")  # noqa: SIM115
    server = subprocess.Popen([TINHSO, "serve", "--port", str(port), "--workers",  # noqa: S603
                               str(args.servers), "--threads", "8", "--no-worker"], env=env,
                              stdout=logs, stderr=subprocess.STDOUT)
    workers = [subprocess.Popen([TINHSO, "worker", "--workers", "2"], env=env,  # noqa: S603
                                stdout=logs, stderr=subprocess.STDOUT)
               for _ in range(args.job_workers)]
    try:
        deadline = time.monotonic() + 300  # a loaded 2-core machine imports slowly
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"the server did not start; see {work / 'processes.log'}")
            time.sleep(0.2)
        health = baseline(base)
        samples: dict[str, list[tuple[float, int]]] = {}
        stop = threading.Event()

        def sample() -> None:
            started = time.monotonic()
            while not stop.is_set():
                now = time.monotonic() - started
                for label, root in [("serve", server.pid)] + [
                        (f"worker{i}", w.pid) for i, w in enumerate(workers)]:
                    for pid in family(root):
                        samples.setdefault(f"{label}:{pid}", []).append((now, rss_kib(pid)))
                stop.wait(10)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        prefix = work / "locust"
        subprocess.run([LOCUST, "-f", str(ROOT / "bench/load/locustfile.py"), "--headless",  # noqa: S603
                        "-u", str(args.users), "-r", str(args.spawn_rate),
                        "-t", f"{int(args.minutes * 60)}s", "--host", base,
                        "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
                       env=env, check=False)
        stop.set()
        sampler.join()
    finally:
        for proc in [server, *workers]:
            proc.send_signal(signal.SIGTERM)
        for proc in [server, *workers]:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
    report(prefix, health, samples, args, work)


def report(prefix: Path, health: float, samples: dict[str, list[tuple[float, int]]],
           args: argparse.Namespace, work: Path) -> None:
    print(f"\nload: {args.users} users, {args.minutes:g} min, {args.servers} server processes, "
          f"{args.job_workers} job worker(s), {args.database_url.split('://')[0]}")
    print(f"baseline GET /healthz alone: {health:.1f} req/s")
    print(f"{'journey':<28}{'requests':>9}{'fails':>7}{'req/s':>8}{'p50':>7}{'p95':>7}"
          f"{'p99':>7}  ms")
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            print(f"{row['Name']:<28}{row['Request Count']:>9}{row['Failure Count']:>7}"
                  f"{float(row['Requests/s']):>8.1f}{row['50%']:>7}{row['95%']:>7}"
                  f"{row['99%']:>7}")
    print("\nmemory (RSS MiB): start, end, growth per 10 min over the second half")
    for label, points in sorted(samples.items()):
        points = [(t, kib) for t, kib in points if kib]
        if len(points) < 3:
            continue
        half = [p for p in points if p[0] >= points[-1][0] / 2] or points
        slope = 0.0
        if len(half) >= 2 and half[-1][0] > half[0][0]:
            xs, ys = [p[0] for p in half], [p[1] for p in half]
            slope = statistics.linear_regression(xs, ys).slope * 600 / 1024
        print(f"  {label:<16} {points[0][1] / 1024:8.1f} {points[-1][1] / 1024:8.1f} "
              f"{slope:+8.2f}")
    print(f"(files in {work})")


if __name__ == "__main__":
    main()
