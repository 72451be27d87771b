"""VNPAY IPN over real HTTP with duplicates mixed in, beside a trivial endpoint (/healthz).

    .venv/bin/python bench/ipn_http.py [--n 300] [--clients 8] [--duplicates 1]

Builds N dossiers awaiting a fee with one gateway attempt each in a temporary SQLite database
(or DATABASE_URL), starts ``tinhso serve`` on it, and sends every attempt's signed success
notification 1 + ``--duplicates`` times, shuffled, from ``--clients`` threads (the gateway retries
and replays). Then it sends as many ``GET /healthz`` with the same concurrency. Prints requests
per second and p50/p99 of both, the ratio, and checks the books: every payment confirmed once,
one PAY event and one ledger entry per payment — zero double-counted.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup(n: int) -> tuple[list[dict[str, str]], dict[str, str]]:
    tmp = tempfile.mkdtemp(prefix="tinhso-bench-")
    env = {"DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{tmp}/bench.sqlite3"),
           "TINHSO_VAR_DIR": tmp, "TINHSO_MEDIA_ROOT": f"{tmp}/media",
           "TINHSO_ALERT_SCAN_SECONDS": "0", "TINHSO_ISSUE_DOCUMENTS": "false"}
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    sys.path.insert(0, str(ROOT))
    import logging

    import django

    django.setup()
    logging.getLogger("tinhso.dossiers.paperwork").setLevel(logging.ERROR)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from tests import factories
    from tests.dossiers.conftest import pdf
    from tests.payments.conftest import ipn_params

    from tinhso.dossiers import services as ds
    from tinhso.payments import conf, services

    unit = factories.make_province()
    agency = factories.make_agency(unit=unit)
    receiver = factories.make_official(agency, "receiver")
    citizen = factories.make_citizen()
    procedure = factories.make_procedure(agencies=[agency], fee=50_000)
    notifications = []
    for _ in range(n):
        dossier = ds.dossier_submit_online(
            acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
            form_data={"ho_ten": "Nguyễn Văn An"}, files=[("to-khai", pdf())])
        dossier = ds.dossier_receive(acting_user=receiver, dossier=dossier)
        payment = ds.dossier_request_payment(acting_user=receiver, dossier=dossier)
        attempt = services.payment_vnpay_start(acting_user=citizen, payment=payment,
                                               ip_addr="127.0.0.1").attempt
        notifications.append(ipn_params(attempt, secret=conf.hash_secret(),
                                        vnp_TmnCode=conf.tmn_code()))
    return notifications, env


def hammer(urls: list[tuple[str, dict[str, str] | None]], clients: int
           ) -> tuple[float, list[float], list[str]]:
    import httpx

    queue = list(urls)
    lock = threading.Lock()
    latencies: list[float] = []
    answers: list[str] = []

    def worker() -> None:
        with httpx.Client(timeout=30) as http:
            while True:
                with lock:
                    if not queue:
                        return
                    url, params = queue.pop()
                t0 = time.perf_counter()
                reply = http.get(url, params=params)
                took = time.perf_counter() - t0
                code = reply.json().get("RspCode", "") if params else str(reply.status_code)
                with lock:
                    latencies.append(took)
                    answers.append(code)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, latencies, answers


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duplicates", type=int, default=1)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    notifications, env = setup(args.n)
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen([sys.executable, "-m", "tinhso.cli", "serve", "--port",
                               str(args.port)], env={**os.environ, **env},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import httpx

        for _ in range(300):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        calls = [(f"{base}/thanh-toan/vnpay/ipn", n)
                 for n in notifications for _ in range(1 + args.duplicates)]
        random.Random(1).shuffle(calls)
        ipn_s, ipn_lat, answers = hammer(calls, args.clients)
        health_s, health_lat, _ = hammer([(f"{base}/healthz", None)] * len(calls),
                                         args.clients)
    finally:
        server.terminate()
        server.wait(10)

    from tinhso.dossiers.models import Action, DossierEvent
    from tinhso.payments.models import LedgerEntry, Payment, PaymentStatus

    paid = Payment.objects.filter(status=PaymentStatus.PAID).count()
    pay_events = DossierEvent.objects.filter(action=Action.PAY).count()
    entries = LedgerEntry.objects.count()
    counts = {code: answers.count(code) for code in sorted(set(answers))}
    print(f"IPN over HTTP: {args.n} payments × {1 + args.duplicates} notifications, "
          f"{args.clients} clients, {os.environ['DATABASE_URL'].split(':')[0]}")
    print(f"{'endpoint':<26}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}")
    for name, seconds, lat in (("/healthz (baseline)", health_s, health_lat),
                               ("IPN, duplicates mixed", ipn_s, ipn_lat)):
        print(f"{name:<26}{len(lat) / seconds:>8.0f}{pct(lat, 50):>9.1f}{pct(lat, 99):>9.1f}")
    ratio = (len(ipn_lat) / ipn_s) / (len(health_lat) / health_s)
    print(f"ratio IPN/baseline (req/s): {ratio:.3f}")
    print(f"answers: {counts}; payments paid {paid}/{args.n}, PAY events {pay_events}, "
          f"ledger entries {entries} → double-counted: {max(pay_events, entries) - paid}")
    if not (paid == pay_events == entries == args.n):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
