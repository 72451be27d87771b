"""Verification of any signed PDF: today against the same run's baselines (issue 12).

    .venv/bin/python bench/verify.py [--docs 20] [--rounds 3] [--algorithm ec-p256|rsa-2048]
                                     [--level b-lt|b-b|both]

One temporary SQLite database with its own PKI; ``--docs`` different PAdES documents per
level: B-LT (time-stamped, revocation data embedded in a DSS revision after the signature,
which pyhanko's modification analysis must judge) and B-B (the signature covers the whole
file: nothing to judge; the same rendered forms, signed again without time-stamp or DSS).
Each round verifies every document once in four set-ups, interleaved document by document so
that bursts of load on a shared machine hit all of them alike:

- pyhanko as it comes: a fresh validation context per document, pyhanko's own hex-string
  reader, asn1crypto's own name comparison and pyhanko's default diff policy (the behaviour
  before issue 12);
- the previous session's levers: the per-process verification context and the sliced
  hex-string reader (``signing.verification_context``, ``pdfspeed`` without names);
- the name comparison fast paths (``pdfspeed.install()``), pyhanko's diff policy as it comes;
- today: the same plus the DSS fast path of the modification analysis (``dssdiff``).

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


def setup(algorithm: str, docs: int, long_term: bool = True) -> list[bytes]:
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
                                       placement=placement, long_term=long_term,
                                       timestamp=long_term))
    return signed


def measure(signed: list[bytes], rounds: int) -> dict[str, list[float]]:
    from tinhso.signatures import pdfspeed, signing
    from tinhso.signatures.verify import verify_pdf

    def fresh_context():  # type: ignore[no-untyped-def]
        return signing.validation_context(revocation_mode="soft-fail")

    # name: (prepare, context factory, fast diff)
    setups = {
        "pyhanko as it comes (fresh context per PDF)":
            (lambda: pdfspeed.uninstall(), fresh_context, False),
        "previous levers (shared context, hex reader)":
            (lambda: (pdfspeed.uninstall(), pdfspeed.install(names=False)), None, False),
        "+ name comparison fast paths": (lambda: pdfspeed.install(), None, False),
        "today (+ DSS fast path of the diff analysis)": (lambda: pdfspeed.install(), None, True),
    }
    times: dict[str, list[float]] = {name: [] for name in setups}
    for prepare, factory, fast in setups.values():  # warm every set-up once
        prepare()
        assert verify_pdf(signed[0], context_factory=factory, fast_diff=fast).valid
    for _ in range(rounds):
        # Interleaved per document, so that a burst of load on this shared machine hits every
        # set-up alike; each round starts with no cached context.
        signing.forget_validation_contexts()
        spent = dict.fromkeys(setups, 0.0)
        for data in signed:
            for name, (prepare, factory, fast) in setups.items():
                prepare()
                start = time.perf_counter()
                assert verify_pdf(data, context_factory=factory, fast_diff=fast).valid, name
                spent[name] += time.perf_counter() - start
        for name in setups:
            times[name].append(len(signed) / spent[name])
    pdfspeed.install()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--algorithm", default="ec-p256", choices=["ec-p256", "rsa-2048"])
    parser.add_argument("--level", default="both", choices=["b-lt", "b-b", "both"])
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    levels = {"b-lt": [True], "b-b": [False], "both": [True, False]}[args.level]
    signed = setup(args.algorithm, args.docs, long_term=levels[0])
    if len(levels) > 1:
        from tinhso.signatures import signing
        from tinhso.signatures.models import Certificate

        loaded = signing.signer_for(Certificate.objects.get(kind="personal"))
        # The same documents signed B-B: unsign nothing, sign the rendered form again.
        bb = [signing.sign_pdf(_unsigned(data), loaded, field_name="S", long_term=False,
                               timestamp=False) for data in signed]
    for long_term in levels:
        docs = signed if long_term else (bb if len(levels) > 1 else signed)
        times = measure(docs, args.rounds)
        label = "B-LT (a DSS revision after the signature)" if long_term else (
            "B-B (the signature covers the whole file)")
        print(f"{args.algorithm}, {len(docs)} different {label} x {args.rounds} rounds; "
              f"load average before {load_before:.1f}, now {os.getloadavg()[0]:.1f}")
        base = statistics.median(times[next(iter(times))])
        for name, rates in times.items():
            rate = statistics.median(rates)
            print(f"  {name:<46} {rate:7.1f} /s (median; rounds "
                  f"{', '.join(f'{r:.1f}' for r in rates)})   x{rate / base:.2f}")


def _unsigned(data: bytes) -> bytes:
    """The first revision of a signed PDF (the rendered form before signing)."""
    from io import BytesIO

    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(BytesIO(data), strict=False)
    sig = reader.embedded_regular_signatures[0]
    end = reader.xrefs.get_xref_container_info(sig.signed_revision - 1).end_location
    eof = data.index(b"%%EOF", end) + len(b"%%EOF")
    return data[:eof] + b"\n"


if __name__ == "__main__":
    main()
