"""Verification of any signed PDF: today against the same run's baselines (issue 12).

    .venv/bin/python bench/verify.py [--docs 20] [--rounds 3] [--algorithm ec-p256]

One temporary SQLite database with its own PKI; ``--docs`` different PAdES B-LT documents
(time-stamped, revocation data embedded). Each round verifies every document once in three
set-ups, interleaved so the machine's load hits all three alike:

- pyhanko as it comes: a fresh validation context per document, pyhanko's own hex-string
  reader and asn1crypto's own name comparison (the behaviour before issue 12);
- the previous session's levers: the per-process verification context and the sliced
  hex-string reader (``signing.verification_context``, ``pdfspeed`` without names);
- today: the same plus the name comparison fast paths (``pdfspeed.install()``).

Nothing is recognised by SHA-256 here: every document goes through pyhanko's full validation,
as a PDF the platform never issued would. Prints verifications/s of each and the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup(algorithm: str, docs: int) -> list[bytes]:
    tmp = tempfile.mkdtemp(prefix="tinhso-bench-verify-")
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["TINHSO_VAR_DIR"] = tmp
    os.environ["TINHSO_MEDIA_ROOT"] = f"{tmp}/media"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import logging

    import django

    django.setup()
    logging.getLogger("pyhanko").setLevel(logging.ERROR)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.ERROR)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from tinhso.accounts.models import AccountKind, User
    from tinhso.documents import render
    from tinhso.signatures import services, signing
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
    loaded = signing.signer_for(cert)
    signed = []
    for i in range(docs):
        content = render.FormContent(
            agency_parent="", agency=agency.name, place="Bình Phước", title="Giấy tiếp nhận",
            number=f"{i}", issued_at=cert.created_at,
            paragraphs=[f"Nội dung thử nghiệm hiệu năng số {i}."] * 8,
            signer_title="Người tiếp nhận", signer_name=official.full_name,
            verify_url="https://tinhso.example.vn/chu-ky-so/xac-minh/x",
            stamps=[render.StampSpec("Người ký", cert.common_name, agency.name,
                                     (339, 40, 539, 114))],
        )
        placement = signing.StampPlacement(0, content.stamps[0].widget_box)
        signed.append(signing.sign_pdf(render.render_form(content), loaded, field_name="S",
                                       placement=placement))
    return signed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--algorithm", default="ec-p256", choices=["ec-p256", "rsa-2048"])
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    signed = setup(args.algorithm, args.docs)
    from tinhso.signatures import pdfspeed, signing
    from tinhso.signatures.verify import verify_pdf

    def fresh_context():  # type: ignore[no-untyped-def]
        return signing.validation_context(revocation_mode="soft-fail")

    setups = {
        "pyhanko as it comes (fresh context per PDF)":
            (lambda: pdfspeed.uninstall(), fresh_context),
        "previous levers (shared context, hex reader)":
            (lambda: (pdfspeed.uninstall(), pdfspeed.install(names=False)), None),
        "today (+ name comparison fast paths)": (lambda: pdfspeed.install(), None),
    }
    times: dict[str, list[float]] = {name: [] for name in setups}
    for prepare, factory in setups.values():  # warm every set-up once
        prepare()
        assert verify_pdf(signed[0], context_factory=factory).valid
    for _ in range(args.rounds):
        for name, (prepare, factory) in setups.items():
            prepare()
            signing.forget_validation_contexts()
            start = time.perf_counter()
            for data in signed:
                assert verify_pdf(data, context_factory=factory).valid, name
            times[name].append(len(signed) / (time.perf_counter() - start))
    pdfspeed.install()
    print(f"{args.algorithm}, {args.docs} different B-LT PDFs x {args.rounds} rounds; "
          f"load average before {load_before:.1f}, after {os.getloadavg()[0]:.1f}")
    base = statistics.median(times[next(iter(setups))])
    for name, rates in times.items():
        rate = statistics.median(rates)
        print(f"{name:<46} {rate:7.1f} /s (median; rounds "
              f"{', '.join(f'{r:.1f}' for r in rates)})   x{rate / base:.2f}")


if __name__ == "__main__":
    main()
