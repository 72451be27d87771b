"""The LGSP gateway's added latency and throughput, beside a direct call to the same provider.

    .venv/bin/python bench/lgsp.py [--n 500] [--clients 4] [--size 1024]

Sets up a temporary SQLite database (or DATABASE_URL, a scratch one), the PKI and a registry
(one client subsystem, one provider service), starts a provider (waitress, its own process) and
``tinhso serve``, then sends N ``POST /echo`` with a ``--size``-byte body from ``--clients``
threads, first straight to the provider, then through ``/lgsp/r1/…`` (message log on: every
exchange becomes a Merkle leaf), and again direct then gateway, and reports for each the
requests per second and p50/p99 latency, and the gateway's added p50/p99. At the end it signs a
tree head and runs ``verify-log``: the log must hold every exchange, verifiably.

    .venv/bin/python bench/lgsp.py --events 2000

Events instead: N outbox events, one webhook subscription (a receiver in this process that
checks every signature) and NATS JetStream (TINHSO_NATS_URL, default nats://127.0.0.1:4222,
streams under a fresh prefix, deleted afterwards); a ``tinhso worker`` delivers them, is
SIGKILLed after a third and restarted. Reports webhooks and JetStream messages per second
(from the first worker's start, the restart included), duplicates and losses (must be 0).
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENT = "VN/GOV/000.00.00.H10/MOTCUA"
SERVICE = "VN/GOV/000.00.01.H10/DANCU/citizens"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, proc: subprocess.Popen) -> None:  # type: ignore[type-arg]
    import httpx

    for _ in range(300):
        if proc.poll() is not None:
            raise SystemExit(f"{url}: process exited")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not start")


def setup(provider_url: str) -> tuple[str, dict[str, str]]:
    tmp = tempfile.mkdtemp(prefix="tinhso-bench-")
    env = {"DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3"),
           "TINHSO_VAR_DIR": tmp, "TINHSO_ALERT_SCAN_SECONDS": "0", "TINHSO_LGSP_RATE": "off"}
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from tinhso.lgsp import services
    from tinhso.signatures.services import pki_init

    pki_init(acting_user=None)
    m1 = services.member_add(acting_user=None, instance="VN", member_class="GOV",
                             member_code="000.00.00.H10", name="UBND tỉnh")
    m2 = services.member_add(acting_user=None, instance="VN", member_class="GOV",
                             member_code="000.00.01.H10", name="Công an tỉnh")
    client = services.subsystem_add(acting_user=None, member=m1, code="MOTCUA")
    prov = services.subsystem_add(acting_user=None, member=m2, code="DANCU")
    service = services.service_add(acting_user=None, subsystem=prov, code="citizens",
                                   url=provider_url)
    services.access_grant(acting_user=None, client=client, service=service)
    token = services.token_issue(acting_user=None, subsystem=client).raw
    return token, {**os.environ, **env}


def run(url: str, headers: dict[str, str], n: int, clients: int, body: bytes
        ) -> tuple[float, list[float]]:
    import httpx

    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(n))
    failures: list[int] = []

    def worker() -> None:
        with httpx.Client(timeout=30) as http:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                t0 = time.perf_counter()
                r = http.post(f"{url}/echo/{i}", content=body, headers=headers)
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)
                    if r.status_code != 200:
                        failures.append(r.status_code)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    if failures:
        raise SystemExit(f"{len(failures)} failed requests, e.g. {failures[:3]}")
    return n / wall, latencies


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100)[int(p) - 1] * 1000


def events(n: int) -> None:
    import secrets
    import signal

    tmp = tempfile.mkdtemp(prefix="tinhso-bench-events-")
    prefix = "B" + secrets.token_hex(4).upper()
    nats_url = os.environ.get("TINHSO_NATS_URL", "nats://127.0.0.1:4222")
    env = {"DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3"),
           "TINHSO_VAR_DIR": tmp, "TINHSO_ALERT_SCAN_SECONDS": "0", "TINHSO_JOBS_URL": "",
           "TINHSO_NATS_URL": nats_url, "TINHSO_NATS_PREFIX": prefix,
           "TINHSO_LGSP_STH_SECONDS": "0", "TINHSO_LOG_LEVEL": "ERROR",
           # the receiver listens on 127.0.0.1 (a random port): permit it explicitly
           "TINHSO_OUTBOUND_ALLOW": "127.0.0.0/8", "TINHSO_OUTBOUND_PORTS": "*"}
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from tests.webhooks.natshelpers import delete_streams, stream_count
    from tests.webhooks.receiver import start_receiver

    from tinhso.outbox.models import ConsumerCursor, OutboxEvent
    from tinhso.outbox.services import event_publish
    from tinhso.webhooks import services

    receiver = start_receiver()
    created = services.subscription_create(acting_user=None, name="bench", url=receiver.url,
                                           event_types=["feedback.received"])
    receiver.secrets.append(created.secret)
    start = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    for name in ("webhooks", "jetstream"):
        ConsumerCursor.objects.update_or_create(name=name, defaults={"position": start})
    for lo in range(0, n, 500):
        with transaction.atomic():
            for i in range(lo, min(n, lo + 500)):
                event_publish(type="feedback.received", aggregate_type="feedback",
                              aggregate_id=i, agency_id=None, actor_id=None,
                              payload={"feedback_id": i, "code": f"PAKN-{i}", "kind": "x",
                                       "agency_id": 0, "dossier_id": None, "status": "new",
                                       "at": "2026-12-06T09:00:00+07:00"})
    last = OutboxEvent.objects.order_by("-id").values_list("id", flat=True).first()
    tinhso = str(Path(sys.executable).with_name("tinhso"))
    full_env = {**os.environ, **env}

    def worker() -> subprocess.Popen:  # type: ignore[type-arg]
        return subprocess.Popen([tinhso, "worker", "--workers", "2"], env=full_env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def distinct() -> int:
        return len({m.headers["webhook-id"] for m in list(receiver.messages)})

    def published() -> bool:
        return ConsumerCursor.objects.filter(name="jetstream", position__gte=last).exists()

    proc = worker()
    t0 = time.perf_counter()
    done: dict[str, float] = {}
    try:
        while distinct() < n // 3:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        killed_at = distinct()
        proc = worker()
        deadline = time.monotonic() + 600
        while len(done) < 2 and time.monotonic() < deadline:
            if "webhooks" not in done and distinct() >= n:
                done["webhooks"] = time.perf_counter() - t0
            if "jetstream" not in done and published():
                done["jetstream"] = time.perf_counter() - t0
            time.sleep(0.05)
        in_stream = stream_count(nats_url, f"{prefix}_FEEDBACK")
        bad = sum(1 for m in receiver.messages if not m.valid_for)
        print(f"Events out: {n} events, worker SIGKILLed after {killed_at} webhooks and "
              f"restarted ({os.environ['DATABASE_URL'].split(':')[0]}, SQLite queue)")
        for name in ("webhooks", "jetstream"):
            if name in done:
                print(f"  {name:9s} {n / done[name]:8.0f} events/s  ({done[name]:.1f} s)")
            else:
                print(f"  {name:9s} NOT FINISHED in 600 s")
        print(f"  webhooks: {distinct()} distinct ids of {n} (lost {n - distinct()}), "
              f"{len(receiver.messages) - distinct()} duplicates (at least once), "
              f"{bad} bad signatures")
        print(f"  jetstream: {in_stream} messages in the stream (lost {n - in_stream}, "
              f"duplicates {max(0, in_stream - n)})")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        receiver.stop()
        delete_streams(nats_url, prefix)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--events", type=int, default=0,
                        help="measure webhook and JetStream delivery of N events instead")
    args = parser.parse_args()
    if args.events:
        events(args.events)
        return
    pport, gport = free_port(), free_port()
    provider_url = f"http://127.0.0.1:{pport}"
    code = ("from waitress import serve; from tests.lgsp.provider import app; "
            f"serve(app, host='127.0.0.1', port={pport}, threads=8, ident='provider')")
    provider = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
    token, env = setup(provider_url)
    tinhso = str(Path(sys.executable).with_name("tinhso"))
    server = subprocess.Popen([tinhso, "serve", "--port", str(gport), "--threads", "8"],
                              env=env, stdout=subprocess.DEVNULL)
    try:
        wait_for(f"{provider_url}/echo/ready", provider)
        wait_for(f"http://127.0.0.1:{gport}/healthz", server)
        body = os.urandom(args.size)
        direct_url = provider_url
        gw_url = f"http://127.0.0.1:{gport}/lgsp/r1/{SERVICE}"
        gw_headers = {"X-Road-Client": CLIENT, "Authorization": f"Bearer {token}",
                      "Content-Type": "application/octet-stream"}
        plain = {"Content-Type": "application/octet-stream"}
        run(direct_url, plain, 50, args.clients, body)  # warm-up both paths
        run(gw_url, gw_headers, 50, args.clients, body)
        results: dict[str, list[tuple[float, list[float]]]] = {"direct": [], "gateway": []}
        for _ in range(2):  # interleaved rounds: the machine's drift hits both alike
            results["direct"].append(run(direct_url, plain, args.n, args.clients, body))
            results["gateway"].append(run(gw_url, gw_headers, args.n, args.clients, body))
        print(f"LGSP gateway vs direct: {args.n} x 2 POST of {args.size} B, "
              f"{args.clients} clients, message log on")
        summary = {}
        for name, rounds in results.items():
            rps = statistics.mean(r for r, _ in rounds)
            lat = [x for _, values in rounds for x in values]
            summary[name] = (rps, pct(lat, 50), pct(lat, 99))
            print(f"  {name:8s} {rps:8.0f} req/s   p50 {summary[name][1]:6.1f} ms   "
                  f"p99 {summary[name][2]:6.1f} ms")
        d, g = summary["direct"], summary["gateway"]
        print(f"  added by the gateway: p50 +{g[1] - d[1]:.1f} ms, p99 +{g[2] - d[2]:.1f} ms; "
              f"throughput {g[0] / d[0]:.0%} of direct")
        from django.core.management import call_command

        from tinhso.lgsp.models import LogEntry

        call_command("lgsp", "sign-head")
        call_command("lgsp", "verify-log")
        expected = 2 * args.n + 50
        print(f"  log: {LogEntry.objects.count()} leaves (expected {expected})")
    finally:
        server.terminate()
        provider.terminate()
        server.wait(10)
        provider.wait(10)


if __name__ == "__main__":
    main()
