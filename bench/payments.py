"""IPN handling throughput beside its baseline: confirming the same payments without a gateway.

    .venv/bin/python bench/payments.py [--n 100] [--sign 20000]

In a fresh temporary SQLite database, builds 2×N dossiers awaiting a fee (status 6), then:
- sign+verify: the VNPAY HMAC-SHA512 of a typical IPN, signed and verified (pure CPU);
- confirm (baseline): ``payment_confirm`` called directly for N payments (a counter payment);
- IPN: ``payment_vnpay_ipn`` for N attempts — signature check, attempt lookup under lock,
  amount and idempotency checks, the same confirmation, the attempt's event row;
- IPN replay: the same N notifications again (answered "02", nothing written but an event).
Prints one table; "× baseline" is the operation's time per call over the baseline's.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    tmp = tempfile.mkdtemp(prefix="tinhso-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["TINHSO_VAR_DIR"] = tmp
    os.environ["TINHSO_MEDIA_ROOT"] = f"{tmp}/media"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    sys.path.insert(0, str(ROOT))
    import logging

    import django

    django.setup()
    # Reception tries to issue the signed form 01; this bench has no PKI and does not need it.
    logging.getLogger("tinhso.dossiers.paperwork").setLevel(logging.ERROR)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--sign", type=int, default=20000)
    args = parser.parse_args()
    setup_django()

    from tests import factories
    from tests.dossiers.conftest import pdf
    from tests.payments.conftest import ipn_params

    from tinhso.dossiers import services as ds
    from tinhso.payments import conf, services, vnpay
    from tinhso.payments.models import Payment, PaymentStatus

    unit = factories.make_province()
    agency = factories.make_agency(unit=unit)
    receiver = factories.make_official(agency, "receiver")
    citizen = factories.make_citizen()
    procedure = factories.make_procedure(agencies=[agency], fee=50_000)

    def awaiting() -> Payment:
        dossier = ds.dossier_submit_online(
            acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
            form_data={"ho_ten": "Nguyễn Văn An"}, files=[("to-khai", pdf())])
        dossier = ds.dossier_receive(acting_user=receiver, dossier=dossier)
        return ds.dossier_request_payment(acting_user=receiver, dossier=dossier)

    t0 = time.perf_counter()
    baseline_payments = [awaiting() for _ in range(args.n)]
    ipn_payments = [awaiting() for _ in range(args.n)]
    attempts = [services.payment_vnpay_start(acting_user=citizen, payment=p,
                                             ip_addr="127.0.0.1").attempt
                for p in ipn_payments]
    setup_s = time.perf_counter() - t0
    # Signed with the configured secret and terminal (the helper defaults to the tests' ones).
    notifications = [ipn_params(a, secret=conf.hash_secret(), vnp_TmnCode=conf.tmn_code())
                     for a in attempts]

    t0 = time.perf_counter()
    sample = notifications[0]
    for _ in range(args.sign):
        vnpay.verify({**sample, "vnp_SecureHash": vnpay.sign(sample, conf.hash_secret())},
                     conf.hash_secret())
    sign_s = (time.perf_counter() - t0) / args.sign

    t0 = time.perf_counter()
    for p in baseline_payments:
        services.payment_confirm(acting_user=None, payment=p, online=True, reference="X")
    confirm_s = (time.perf_counter() - t0) / args.n

    t0 = time.perf_counter()
    replies = [services.payment_vnpay_ipn(params=n)["RspCode"] for n in notifications]
    ipn_s = (time.perf_counter() - t0) / args.n
    assert replies == ["00"] * args.n, set(replies)

    t0 = time.perf_counter()
    replays = [services.payment_vnpay_ipn(params=n)["RspCode"] for n in notifications]
    replay_s = (time.perf_counter() - t0) / args.n
    assert replays == ["02"] * args.n, set(replays)
    assert Payment.objects.filter(status=PaymentStatus.PAID).count() == 2 * args.n

    print(f"payments bench: n={args.n} (setup of {3 * args.n} service calls: {setup_s:.1f} s)")
    print(f"{'operation':<22}{'ms/call':>10}{'calls/s':>10}{'× baseline':>12}")
    rows = [("sign+verify (CPU)", sign_s), ("confirm (baseline)", confirm_s),
            ("IPN success", ipn_s), ("IPN replay (02)", replay_s)]
    for name, seconds in rows:
        print(f"{name:<22}{seconds * 1000:>10.3f}{1 / seconds:>10.0f}"
              f"{seconds / confirm_s:>12.2f}")


if __name__ == "__main__":
    main()
