"""Benchmark: edXML packages built and parsed per second (package signature verified, signer
chain checked) beside a bare defused XML parse of the same files; register search p95 at N
incoming documents.

    .venv/bin/python bench/documents.py [--packages 200] [--rows 20000] [--queries 200]
        [--database-url postgres://postgres@127.0.0.1:5432/tinhso_bench_docs]

Without ``--database-url`` it runs on a temporary SQLite file. For the 1,000,000-row figure use
an EMPTY PostgreSQL database (the trigram index is PostgreSQL's) and ``--rows 1000000``: rows
are bulk-inserted in batches of 10,000 (a few minutes), then ANALYZEd. Each package carries one
signed PDF (the leader's and the seal's PAdES signatures, ≈ 60 KiB); "+ PDF verify" adds the
full PAdES verification of that attachment, which is what an importer may do on top.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = ("triển khai", "kế hoạch", "chuyển đổi số", "báo cáo", "tăng cường", "kỷ luật",
         "hộ tịch", "chứng thực", "đất đai", "phòng chống", "thiên tai", "giải ngân", "vốn",
         "đầu tư công", "tuyển dụng", "viên chức", "quy chế", "văn thư", "lưu trữ", "dịch bệnh",
         "y tế", "giáo dục", "năm học", "an toàn giao thông", "thuế", "ngân sách", "kiểm tra")
SENDERS = ("Bộ Tư pháp", "Bộ Nội vụ", "Văn phòng Chính phủ", "Sở Tài chính", "Sở Y tế",
           "UBND huyện Đồng Phú", "UBND thị xã Bình Long", "Sở Giáo dục và Đào tạo")
QUERIES = ("chuyen doi so", "ke hoach", "chung thuc ho tich", "giai ngan von", "van thu",
           "chuyen doii so", "ke hoac", "tuyen dung vien chuc", "Bộ Nội vụ", "an toan giao thong",
           "thien tia", "bao cao")


def setup(database_url: str | None) -> None:
    tmp = tempfile.mkdtemp(prefix="tinhso-bench-docs-")
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{tmp}/bench.sqlite3"
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


def world() -> tuple[object, object, object]:
    from tinhso.accounts.models import AccountKind, RoleAssignment, User
    from tinhso.correspondence.models import AgencyProfile
    from tinhso.signatures import services
    from tinhso.units.models import AdminUnit, Agency, Level, Structure

    services.pki_init(acting_user=None)
    unit = AdminUnit.objects.create(structure=Structure.LEGACY_3, code="70", name="Bình Phước",
                                    unit_type="Tỉnh", level=Level.PROVINCE)
    a = Agency.objects.create(code="000.00.00.H10", name="Ủy ban nhân dân tỉnh Bình Phước",
                              kind="committee", unit=unit)
    b = Agency.objects.create(code="000.00.12.H10", name="Sở Tư pháp", kind="department",
                              unit=unit)
    AgencyProfile.objects.create(agency=a, abbreviation="UBND", place_name="Bình Phước")
    user = User.objects.create(username="bench.vanthu", kind=AccountKind.OFFICIAL,
                               full_name="Văn thư", agency=b)
    RoleAssignment.objects.create(user=user, role="clerk")
    return a, b, user


def signed_pdf(agency: object) -> bytes:
    """A Decree 30 layout PDF with two PAdES signatures (the agency's certificate twice: the
    bench has no leader; the cost is the same)."""
    from tinhso.correspondence.render import OfficialContent, render_official
    from tinhso.documents.services import agency_certificate
    from tinhso.signatures import signing

    cert = agency_certificate(agency)
    pdf = render_official(OfficialContent(
        parent_name="", agency_name=agency.name, notation="12/QĐ-UBND", place="Bình Phước",
        day=None, type_name="Quyết định", subject="Về việc ban hành quy chế văn thư",
        body="Điều 1. Ban hành.\n" * 20, authority="TM. Ủy ban nhân dân",
        signer_title="Chủ tịch", signer_name="Nguyễn Văn A", recipients=["Như Điều 2"]))
    for name in ("ChuKyLanhDao", "ChuKyCoQuan"):
        pdf = signing.sign_with(pdf, cert, field_name=name)
    return pdf


def bench_packages(count: int) -> None:
    from tinhso.correspondence import edxml, exchange
    from tinhso.signatures.verify import verify_pdf

    a, b, _ = world()
    pdf = signed_pdf(a)
    key = exchange.signing_key(a)

    def package(i: int) -> edxml.Package:
        return edxml.Package(
            sender=edxml.Organ(a.code, a.name), recipients=[edxml.Organ(b.code, b.name)],
            document_id=f"bench-{i}", code_number=str(i), code_notation="QĐ-UBND",
            place="Bình Phước", promulgation_date=None, type_code="QĐ", type_name="Quyết định",
            subject=f"Về việc thử nghiệm số {i}",
            attachments=[edxml.Attachment(name=f"{i}.pdf", content=pdf)])

    started = time.perf_counter()
    files = [edxml.build_package(package(i), key) for i in range(count)]
    build = count / (time.perf_counter() - started)
    started = time.perf_counter()
    for data in files:
        edxml.bare_parse(data)
    bare = count / (time.perf_counter() - started)
    started = time.perf_counter()
    for data in files:
        edxml.parse_package(data, trust=exchange.trust)
    verified = count / (time.perf_counter() - started)
    sample = files[: max(1, count // 20)]
    started = time.perf_counter()
    for data in sample:
        pkg = edxml.parse_package(data, trust=exchange.trust)
        assert verify_pdf(pkg.attachments[0].content).valid
    with_pdf = len(sample) / (time.perf_counter() - started)
    size = sum(len(f) for f in files) / len(files) / 1024
    print(f"edXML packages ({count}, {size:.0f} KiB each, one signed PDF):")
    print(f"  {'build + sign (agency key)':42} {build:10.1f} /s")
    print(f"  {'parse + verify (digests, signature, CA)':42} {verified:10.1f} /s"
          f"   {bare / verified:6.1f}x the bare parse")
    print(f"  {'bare defused XML parse (baseline)':42} {bare:10.1f} /s")
    print(f"  {'parse + verify + PAdES verify of the PDF':42} {with_pdf:10.1f} /s"
          f"   ({len(sample)} packages)")


def bench_search(rows: int, queries: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from tinhso.accounts.models import User
    from tinhso.core.text import fold
    from tinhso.correspondence import selectors
    from tinhso.correspondence.models import Counter, IncomingDocument
    from tinhso.units.models import Agency

    b = Agency.objects.get(code="000.00.12.H10")
    user = User.objects.get(username="bench.vanthu")
    rng = random.Random(7)
    now = timezone.now()
    started = time.perf_counter()
    batch = []
    for n in range(1, rows + 1):
        subject = "Về " + " ".join(rng.sample(WORDS, 4))
        sender = rng.choice(SENDERS)
        notation = f"{rng.randint(1, 999)}/{rng.choice(('CV', 'KH', 'QĐ', 'TB'))}-DEMO"
        batch.append(IncomingDocument(
            agency=b, year=2026, incoming_number=n, source="paper", sender_name=sender,
            notation=notation, subject=subject,
            received_at=now - dt.timedelta(minutes=n),
            search_text=fold(f"{n} {notation} {subject} {sender}")))
        if len(batch) == 10_000:
            IncomingDocument.objects.bulk_create(batch)
            batch = []
    if batch:
        IncomingDocument.objects.bulk_create(batch)
    Counter.objects.create(agency=b, register="in", year=2026, last_number=rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE correspondence_incomingdocument")
    load = time.perf_counter() - started
    times = []
    for i in range(queries):
        q = QUERIES[i % len(QUERIES)]
        t0 = time.perf_counter()
        page = selectors.incoming_register(user, query=q, limit=50)
        list(page.items)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    t0 = time.perf_counter()
    for _ in range(20):
        list(selectors.incoming_register(user, limit=50).items)
    browse = (time.perf_counter() - t0) * 1000 / 20
    print(f"register search ({connection.vendor}, {rows:,} rows loaded in {load:.1f}s, "
          f"{queries} queries incl. typos):")
    print(f"  {'search p50 / p95 / max (ms)':42} {statistics.median(times):8.1f} "
          f"{p95:8.1f} {times[-1]:8.1f}")
    print(f"  {'first page, no query (baseline, ms)':42} {browse:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--packages", type=int, default=200)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--database-url", default=None,
                        help="an EMPTY PostgreSQL database for the large search figure")
    args = parser.parse_args()
    setup(args.database_url)
    bench_packages(args.packages)
    bench_search(args.rows, args.queries)


if __name__ == "__main__":
    main()
