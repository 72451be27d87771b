"""Signing and verification throughput beside the raw private-key signing rate (the limit).

    .venv/bin/python bench/signing.py [--docs 40] [--raw 2000]

For EC P-256 and RSA-2048, each in a fresh temporary SQLite database with its own PKI:
- raw: ``key.sign`` of a 32-byte digest with the same key, in the same run (the ceiling);
- sign single: one PAdES document with a cold signer (key decrypted and loaded each time);
- sign batch: N documents with one loaded signer (B-LT: TSA time-stamp + embedded CRLs),
  and the same for B-B (no time-stamp, no revocation data) to show what LT costs;
- verify single: one document again and again; verify batch: one shared validation context
  for N documents; verify any PDF: a different document each call with the per-process
  verification context (signing.verification_context) beside a fresh context per call, the
  behaviour before it (same-run baseline).
Prints one table; the ratio column is the raw rate divided by the operation's rate.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(algorithm: str, docs: int, raw_count: int) -> dict[str, float]:
    tmp = tempfile.mkdtemp(prefix="tinhso-bench-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["TINHSO_VAR_DIR"] = tmp
    os.environ["TINHSO_MEDIA_ROOT"] = f"{tmp}/media"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import logging

    import django

    django.setup()
    logging.getLogger("pyhanko").setLevel(logging.ERROR)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.ERROR)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding

    from tinhso.accounts.models import AccountKind, User
    from tinhso.documents import render
    from tinhso.signatures import keystore, services, signing
    from tinhso.signatures.verify import verify_batch, verify_known_or_full, verify_pdf
    from tinhso.units.models import AdminUnit, Agency, Level, Structure

    services.pki_init(acting_user=None, algorithm=algorithm)
    unit = AdminUnit.objects.create(structure=Structure.LEGACY_3, code="70", name="Bình Phước",
                                    unit_type="Tỉnh", level=Level.PROVINCE)
    agency = Agency.objects.create(code="000.00.00.H10", name="Sở Tư pháp", kind="department",
                                   unit=unit)
    official = User.objects.create(username="bench", kind=AccountKind.OFFICIAL,
                                   full_name="Nguyễn Văn Bench", agency=agency,
                                   is_superuser=True)
    req = services.certificate_request(acting_user=official, kind="personal",
                                       holder_user=official, key_algorithm=algorithm)
    cert = services.certificate_issue(acting_user=official, request=req).certificate
    content = render.FormContent(
        agency_parent="", agency=agency.name, place="Bình Phước", title="Giấy tiếp nhận",
        number="", issued_at=cert.created_at, paragraphs=["Nội dung thử nghiệm hiệu năng."] * 8,
        signer_title="Người tiếp nhận", signer_name=official.full_name,
        verify_url="https://tinhso.example.vn/chu-ky-so/xac-minh/x",
        stamps=[render.StampSpec("Người ký", cert.common_name, agency.name, (339, 40, 539, 114))],
    )
    pdf = render.render_form(content)
    placement = signing.StampPlacement(0, content.stamps[0].widget_box)

    key = keystore.load_private_key(cert.fingerprint, cert.key_pem)
    digest = b"\x01" * 32
    t = time.perf_counter()
    for _ in range(raw_count):
        if isinstance(key, ec.EllipticCurvePrivateKey):
            key.sign(digest, ec.ECDSA(hashes.SHA256()))
        else:
            key.sign(digest, padding.PKCS1v15(), hashes.SHA256())
    raw = raw_count / (time.perf_counter() - t)

    def rate(fn, n: int) -> float:  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        for _ in range(n):
            fn()
        return n / (time.perf_counter() - start)

    def cold() -> bytes:
        signing.forget_all()
        return signing.sign_with(pdf, cert, field_name="S", placement=placement)

    single = rate(cold, max(3, docs // 4))
    loaded = signing.signer_for(cert)
    signed: list[bytes] = []
    batch = rate(lambda: signed.append(signing.sign_pdf(pdf, loaded, field_name="S",
                                                        placement=placement)), docs)
    batch_bb = rate(lambda: signing.sign_pdf(pdf, loaded, field_name="S", placement=placement,
                                             long_term=False, timestamp=False), docs)
    verify_single = rate(lambda: verify_pdf(signed[0]), max(3, docs // 4))
    # Any PDF, a different one each call: today's per-process context (reused until a
    # revocation or 60 s) beside the same-run baseline of a fresh context per call (before).
    cycle = iter(range(10**9))
    verify_any = rate(lambda: verify_pdf(signed[next(cycle) % len(signed)]), docs)
    def fresh():  # type: ignore[no-untyped-def]
        return signing.validation_context(revocation_mode="soft-fail")

    verify_any_fresh = rate(lambda: verify_pdf(signed[next(cycle) % len(signed)],
                                               context_factory=fresh), docs)
    start = time.perf_counter()
    reports = verify_batch(signed)
    verify_many = len(signed) / (time.perf_counter() - start)
    assert all(r.valid for r in reports), "a benchmark document did not verify"
    render_rate = rate(lambda: render.render_form(content), max(3, docs // 4))
    # A document the platform issued, verified again (the QR code scanned by many): recognised
    # by its SHA-256, answered from the full verification of the same bytes while the
    # revocation state is unchanged (one CRL-number query per call).
    from tinhso.documents.models import Document

    issued = signed[0]
    Document.objects.create(agency=agency, form="01", file="documents/bench.pdf",
                            size=len(issued), sha256=hashlib.sha256(issued).hexdigest(),
                            signed_at=cert.created_at)
    verify_known_or_full(issued)
    verify_known = rate(lambda: verify_known_or_full(issued), docs * 25)
    return {"raw": raw, "sign_single": single, "sign_batch": batch, "sign_batch_bb": batch_bb,
            "verify_single": verify_single, "verify_batch": verify_many,
            "verify_any": verify_any, "verify_any_fresh": verify_any_fresh,
            "verify_known": verify_known, "render": render_rate}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--raw", type=int, default=2000)
    parser.add_argument("--child", choices=["ec-p256", "rsa-2048"])
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.docs, args.raw)))
        return
    results = {}
    for algorithm in ("ec-p256", "rsa-2048"):
        out = subprocess.run(
            [sys.executable, __file__, "--child", algorithm, "--docs", str(args.docs),
             "--raw", str(args.raw)],
            capture_output=True, text=True, check=True, cwd=ROOT,
        )
        results[algorithm] = json.loads(out.stdout.strip().splitlines()[-1])
    rows = [
        ("raw private-key signature (limit)", "raw"),
        ("sign PAdES B-LT, single (cold signer)", "sign_single"),
        ("sign PAdES B-LT, batch (loaded signer)", "sign_batch"),
        ("sign PAdES B-B, batch (loaded signer)", "sign_batch_bb"),
        ("verify, single", "verify_single"),
        ("verify, batch (shared context)", "verify_batch"),
        ("verify any PDF, per-process context", "verify_any"),
        ("verify any PDF, fresh context (before)", "verify_any_fresh"),
        ("verify an issued document again (by SHA-256)", "verify_known"),
        ("render form 01 (reportlab, no signature)", "render"),
    ]
    print(f"{'operation':44} {'EC P-256 /s':>12} {'ratio':>8} {'RSA-2048 /s':>12} {'ratio':>8}")
    for label, key in rows:
        cells = []
        for algorithm in ("ec-p256", "rsa-2048"):
            value = results[algorithm][key]
            ratio = results[algorithm]["raw"] / value
            cells.append(f"{value:12.1f} {ratio:7.0f}x")
        print(f"{label:44} {cells[0]} {cells[1]}")


if __name__ == "__main__":
    main()
