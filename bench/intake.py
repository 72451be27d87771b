"""Online intake throughput against the running server, beside a trivial endpoint.

Starts `tinhso serve` (waitress) on a free local port with its own database, creates one
procedure, one agency and N citizens with API tokens, then drives concurrent clients:

1. baseline: GET /healthz (a trivial Django view on the same server, same concurrency);
2. raw-insert baseline: POST /bench/raw-intake/ — the same multipart body parsed, then a
   dossier row and its event row by two INSERTs in one transaction (the server runs with
   TINHSO_BENCH_RAW_INTAKE=true, which only benchmarks set; tinhso.dossiers.rawintake);
3. intake:   POST /api/v1/dossiers/ (multipart: JSON payload + one PDF attachment), with the
   requests spread over ``--agencies`` agencies (the day's code counter is per agency, so
   real traffic spread over a province's communes rarely queues on one counter);
4. intake, single agency: the same, every request to one agency (the worst case: every
   submission queues on that agency's counter row until the one before commits).

Prints requests/second and p50/p99 latency for each and the ratios (the goal of issue 12 is
intake ≥ 0.35 of the raw-insert baseline, p99 < 150 ms). The server runs ``--workers``
processes (``tinhso serve --workers N --no-worker``: the outbox consumer runs elsewhere in
production and is not measured here); its log goes to a file in the run's directory. SQLite
by default; set DATABASE_URL=postgres://postgres@127.0.0.1:5432/tinhso_bench to measure
PostgreSQL.

    .venv/bin/python bench/intake.py --requests 2000 --concurrency 16 --workers 2
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(clients: int, agencies: int) -> tuple[str, list[str], list[str]]:
    """Create the data the benchmark needs; return procedure code, agency codes, tokens."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from tinhso.accounts.models import AccountKind, ApiToken, User
    from tinhso.accounts.tokens import generate_token, hash_token
    from tinhso.catalog.models import Field, Procedure, ProcedureComponent
    from tinhso.core.text import fold
    from tinhso.units.models import AdminUnit, Agency, Level

    unit, _ = AdminUnit.objects.get_or_create(
        structure="legacy3", code="70",
        defaults={"name": "Bình Phước", "unit_type": "Tỉnh", "level": Level.PROVINCE})
    agency, _ = Agency.objects.get_or_create(
        code="000.00.99.H10", defaults={"name": "Cơ quan đo hiệu năng", "kind": "department",
                                        "unit": unit})
    field, _ = Field.objects.get_or_create(code="bench", defaults={"name": "Đo hiệu năng"})
    procedure, created = Procedure.objects.get_or_create(
        code="9.999999", defaults={
            "name": "Thủ tục đo hiệu năng", "search_text": fold("Thủ tục đo hiệu năng"),
            "field": field, "level": "province", "processing_days": 5, "fee": 0,
            "applicant_type": "citizen", "online_level": "full", "result_type": "electronic",
            "form_schema": {"type": "object", "required": ["ho_ten"],
                            "properties": {"ho_ten": {"type": "string", "minLength": 1}}},
        })
    if created:
        ProcedureComponent.objects.create(procedure=procedure, code="to-khai", name="Tờ khai")
    codes = [agency.code]
    for i in range(1, agencies):
        other, _ = Agency.objects.get_or_create(
            code=f"000.{i:02d}.99.H10", defaults={"name": f"Cơ quan đo hiệu năng {i}",
                                                  "kind": "department", "unit": unit})
        codes.append(other.code)
    procedure.agencies.add(*Agency.objects.filter(code__in=codes))
    tokens = []
    for i in range(clients):
        user, _ = User.objects.get_or_create(
            username=f"bench{i}", defaults={"kind": AccountKind.CITIZEN,
                                            "full_name": f"Người đo {i}",
                                            "id_number": f"070090{i:06d}"})
        raw = generate_token()
        ApiToken.objects.create(user=user, name="bench", prefix=raw[:12], key_hash=hash_token(raw))
        tokens.append(raw)
    return procedure.code, codes, tokens


def drive(url: str, n: int, concurrency: int, make_request) -> tuple[float, list[float], int]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(n))

    def worker(index: int) -> None:
        nonlocal errors
        with httpx.Client(base_url=url, timeout=60) as client:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                started = time.perf_counter()
                response = make_request(client, index, i)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if response.status_code >= 400:
                        errors += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, errors


def report(name: str, n: int, wall: float, latencies: list[float], errors: int) -> float:
    rate = n / wall
    q = statistics.quantiles(latencies, n=100)
    print(f"{name:<36} {rate:>9.1f} req/s   p50 {q[49] * 1000:7.1f} ms   "
          f"p95 {q[94] * 1000:7.1f} ms   p99 {q[98] * 1000:7.1f} ms   errors {errors}   "
          f"load {os.getloadavg()[0]:.1f}", flush=True)
    return rate


class LockSampler:
    """PostgreSQL only: every ``interval`` s, which statements of this database's other
    sessions wait for a lock (``pg_stat_activity.wait_event_type = 'Lock'``), by kind.

    A row lock (the day's code counter) is waited for as a ``transactionid`` lock, so the
    waiting statement's text says which row: the counter's statements mention
    ``dossiers_dailysequence``."""

    def __init__(self, url: str, interval: float = 0.02) -> None:
        import psycopg

        self.conn = psycopg.connect(url.replace("postgres://", "postgresql://", 1),
                                    autocommit=True)
        self.interval = interval
        self.samples = 0
        self.waits: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self.conn.cursor() as cur:
            while not self._stop.is_set():
                cur.execute("SELECT query FROM pg_stat_activity WHERE datname = "
                            "current_database() AND pid <> pg_backend_pid() "
                            "AND wait_event_type = 'Lock'")
                rows = cur.fetchall()
                self.samples += 1
                for (query,) in rows:
                    kind = ("code counter" if "dossiers_dailysequence" in query
                            else " ".join(query.split()[:3])[:50])
                    self.waits[kind] = self.waits.get(kind, 0) + 1
                time.sleep(self.interval)

    def __enter__(self) -> LockSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.conn.close()

    def summary(self) -> str:
        if not self.samples:
            return "no samples"
        total = sum(self.waits.values())
        parts = ", ".join(f"{k}: {v}" for k, v in sorted(self.waits.items(), key=lambda i: -i[1]))
        return (f"{self.samples} samples, lock waiters per sample {total / self.samples:.2f}"
                f" ({parts or 'none'})")


def measured(name: str, n: int, run, sample_locks: str | None) -> float:
    if not sample_locks:
        return report(name, n, *run())
    with LockSampler(sample_locks) as sampler:
        rate = report(name, n, *run())
    print(f"    lock waits: {sampler.summary()}", flush=True)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8, help="server threads per process")
    parser.add_argument("--workers", type=int, default=1, help="server processes")
    parser.add_argument("--agencies", type=int, default=40,
                        help="agencies the spread run cycles through")
    parser.add_argument("--phases", default="healthz,raw,spread,single",
                        help="comma-separated subset of healthz,raw,spread,single")
    parser.add_argument("--serve-arg", action="append", default=[],
                        help="extra `tinhso serve` argument (repeat): --serve-arg=--no-gc-freeze")
    parser.add_argument("--jobs-url", default=None,
                        help="TINHSO_JOBS_URL for the server, e.g. redis://127.0.0.1:6379/4 "
                             "(production's queue; default: the embedded SQLite queue, where "
                             "every commit's outbox nudge is an SQLite write)")
    parser.add_argument("--no-lock-sampling", action="store_true",
                        help="PostgreSQL: do not sample lock waits (pg_stat_activity, 50/s)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="tinhso-bench-"))
    env = dict(os.environ, TINHSO_VAR_DIR=str(workdir), DJANGO_SETTINGS_MODULE="tinhso.settings",
               TINHSO_BENCH_RAW_INTAKE="true")
    if args.jobs_url:
        env["TINHSO_JOBS_URL"] = args.jobs_url
    os.environ.update(env)
    database = env.get("DATABASE_URL", "sqlite (embedded)")
    procedure, agencies, tokens = prepare(args.concurrency, args.agencies)
    agency = agencies[0]

    port = free_port()
    log = open(workdir / "server.log", "w")  # noqa: SIM115 - closed with the server below
    server = subprocess.Popen(
        [sys.executable, "-m", "tinhso", "serve", "--port", str(port),
         "--threads", str(args.threads), "--workers", str(args.workers), "--no-worker",
         *args.serve_arg],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit("server did not start")

        def health(client, index, i):
            return client.get("/healthz")

        def submit(client, index, i, spread=True):
            target = agencies[i % len(agencies)] if spread else agency
            payload = {"procedure": procedure, "agency": target,
                       "form_data": {"ho_ten": f"Nguyễn Văn {i}"}}
            return client.post(
                "/api/v1/dossiers/",
                data={"payload": json.dumps(payload, ensure_ascii=False)},
                files={"to-khai": ("to-khai.pdf", PDF + str(i).encode(), "application/pdf")},
                headers={"Authorization": f"Bearer {tokens[index]}",
                         "Idempotency-Key": f"bench-{time.time_ns()}-{i}"})

        def raw(client, index, i):
            payload = {"procedure": procedure, "agency": agency,
                       "form_data": {"ho_ten": f"Nguyễn Văn {i}"}}
            return client.post(
                "/bench/raw-intake/",
                data={"payload": json.dumps(payload, ensure_ascii=False)},
                files={"to-khai": ("to-khai.pdf", PDF + str(i).encode(), "application/pdf")},
                headers={"Authorization": f"Bearer {tokens[index]}",
                         "Idempotency-Key": f"bench-{time.time_ns()}-{i}"})

        def submit_one(client, index, i):
            return submit(client, index, i, spread=False)

        print(f"database: {database}; server processes {args.workers} x threads "
              f"{args.threads}; clients {args.concurrency}; requests {args.requests}; "
              f"agencies {len(agencies)}; serve args {args.serve_arg}; "
              f"jobs {env.get('TINHSO_JOBS_URL', 'embedded SQLite queue')}; "
              f"load before: {os.getloadavg()[0]:.1f}", flush=True)
        phases = set(args.phases.split(","))
        locks = (env["DATABASE_URL"] if env.get("DATABASE_URL", "").startswith("postgres")
                 and not args.no_lock_sampling else None)
        n, c = args.requests, args.concurrency
        # Warm every server process (caches, imports) without timing it.
        drive(url, 4 * args.concurrency, args.concurrency, submit)
        base = raw_rate = rate = single = None
        if "healthz" in phases:
            base = report("baseline GET /healthz", n, *drive(url, n, c, health))
        if "raw" in phases:
            raw_rate = measured("raw-insert POST /bench/raw-intake/", n,
                                lambda: drive(url, n, c, raw), locks)
        if "spread" in phases:
            rate = measured(f"POST /api/v1/dossiers/ ({len(agencies)} ag.)", n,
                            lambda: drive(url, n, c, submit), locks)
        if "single" in phases:
            single = measured("POST /api/v1/dossiers/ (1 agency)", n,
                              lambda: drive(url, n, c, submit_one), locks)
        if rate and base:
            print(f"ratio intake / healthz: {rate / base:.3f}")
        if raw_rate:
            parts = []
            if rate:
                parts.append(f"ratio intake / raw-insert baseline: {rate / raw_rate:.3f} "
                             "(goal ≥ 0.35)")
            if single:
                parts.append(f"single agency {single / raw_rate:.3f}")
            print("; ".join(parts) + f"; load after: {os.getloadavg()[0]:.1f}")
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:  # a loaded machine: do not leave it running
            server.kill()
            server.wait(10)
        log.close()


if __name__ == "__main__":
    main()
