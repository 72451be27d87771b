"""Benchmark: edXML packages built and parsed per second (package signature verified, signer
chain checked) beside a bare defused XML parse of the same files; register search p95 at N
incoming documents.

    .venv/bin/python bench/documents.py [--packages 200] [--rows 20000] [--queries 200]
        [--database-url postgres://postgres@127.0.0.1:5432/tinhso_bench_docs]

Without ``--database-url`` it runs on a temporary SQLite file. For the 1,000,000-row figure use
an EMPTY PostgreSQL database (the trigram index is PostgreSQL's) and ``--rows 1000000``: rows
are written with one COPY (SQLite: bulk inserts), then ANALYZEd. Search is timed per kind
(number, notation, subject without diacritics, subject with a typo, a date window) beside a
bare lookup by the unique (agency, year, number) index in the same run. Each package carries one
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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORDS = ("triển khai", "kế hoạch", "chuyển đổi số", "báo cáo", "tăng cường", "kỷ luật",
         "hộ tịch", "chứng thực", "đất đai", "phòng chống", "thiên tai", "giải ngân", "vốn",
         "đầu tư công", "tuyển dụng", "viên chức", "quy chế", "văn thư", "lưu trữ", "dịch bệnh",
         "y tế", "giáo dục", "năm học", "an toàn giao thông", "thuế", "ngân sách", "kiểm tra")
SENDERS = ("Bộ Tư pháp", "Bộ Nội vụ", "Văn phòng Chính phủ", "Sở Tài chính", "Sở Y tế",
           "UBND huyện Đồng Phú", "UBND thị xã Bình Long", "Sở Giáo dục và Đào tạo")
EXACT = ("chuyen doi so", "ke hoach", "chung thuc ho tich", "giai ngan von", "van thu",
         "tuyen dung vien chuc", "Bộ Nội vụ", "an toan giao thong", "bao cao")
TYPOS = ("chuyen doii so", "ke hoac", "thien tia", "tuyen dugn vien chuc", "giai ngna von")


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


def _rows(agency_id: int, rows: int) -> Iterator[dict[str, Any]]:
    from django.utils import timezone

    from tinhso.core.text import fold

    rng = random.Random(7)
    now = timezone.now()
    for n in range(1, rows + 1):
        subject = "Về " + " ".join(rng.sample(WORDS, 4))
        sender = rng.choice(SENDERS)
        notation = f"{rng.randint(1, 999)}/{rng.choice(('CV', 'KH', 'QĐ', 'TB'))}-DEMO"
        yield {"agency_id": agency_id, "year": 2026, "incoming_number": n, "source": "paper",
               "sender_name": sender, "notation": notation, "subject": subject,
               "received_at": now - dt.timedelta(minutes=n),
               "search_text": fold(f"{n} {notation} {subject} {sender}")}


def copy_rows(agency_id: int, rows: int) -> None:
    """PostgreSQL: COPY every row in one stream (the other columns get the model's defaults,
    computed here, so the rows are what the application itself would write)."""
    from django.db import connection
    from django.utils import timezone
    from psycopg.types.json import Jsonb

    from tinhso.correspondence.models import IncomingDocument

    now = timezone.now()
    fields = [f for f in IncomingDocument._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = IncomingDocument._meta.db_table

    def value(field: Any, given: dict[str, Any]) -> Any:
        if field.attname in given:
            return given[field.attname]
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            return now
        default = field.get_default()
        if field.get_internal_type() == "JSONField":
            return Jsonb(default)
        if default is None and not field.null:
            return "" if field.get_internal_type() in ("CharField", "TextField") else default
        return default

    with connection.cursor() as cur:
        raw = cur.cursor  # the psycopg cursor: COPY is not in Django's cursor API
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in _rows(agency_id, rows):
                copy.write_row([value(f, row) for f in fields])


def _load(agency: Any, rows: int) -> float:
    from django.db import connection

    from tinhso.correspondence.models import Counter, IncomingDocument

    started = time.perf_counter()
    if connection.vendor == "postgresql":
        copy_rows(agency.pk, rows)
        with connection.cursor() as cur:
            cur.execute("ANALYZE correspondence_incomingdocument")
    else:
        batch = []
        for row in _rows(agency.pk, rows):
            batch.append(IncomingDocument(**row))
            if len(batch) == 10_000:
                IncomingDocument.objects.bulk_create(batch)
                batch = []
        IncomingDocument.objects.bulk_create(batch)
    Counter.objects.create(agency=agency, register="in", year=2026, last_number=rows)
    return time.perf_counter() - started


def bench_search(rows: int, queries: int) -> None:
    from django.db import connection

    from tinhso.accounts.models import User
    from tinhso.correspondence import selectors
    from tinhso.correspondence.models import IncomingDocument
    from tinhso.units.models import Agency

    b = Agency.objects.get(code="000.00.12.H10")
    user = User.objects.get(username="bench.vanthu")
    load = _load(b, rows)
    rng = random.Random(11)
    sample = list(IncomingDocument.objects.filter(agency=b).order_by("?").values_list(
        "incoming_number", "notation")[:50]) if rows <= 200_000 else [
        (n, IncomingDocument.objects.filter(agency=b, year=2026, incoming_number=n)
         .values_list("notation", flat=True).first()) for n in rng.sample(range(1, rows), 50)]
    day = dt.date.today()
    kinds: dict[str, Callable[[int], Any]] = {
        "number (e.g. 48213)": lambda i: selectors.incoming_register(
            user, query=str(sample[i % len(sample)][0]), limit=50),
        "notation (e.g. 45/CV-DEMO)": lambda i: selectors.incoming_register(
            user, query=str(sample[i % len(sample)][1]), limit=50),
        "subject without diacritics": lambda i: selectors.incoming_register(
            user, query=EXACT[i % len(EXACT)], limit=50),
        "subject with a typo": lambda i: selectors.incoming_register(
            user, query=TYPOS[i % len(TYPOS)], limit=50),
        "dates (a 7-day window)": lambda i: selectors.incoming_register(
            user, date_from=day - dt.timedelta(days=7 * (i % 50) + 7),
            date_to=day - dt.timedelta(days=7 * (i % 50)), limit=50),
    }
    print(f"register search ({connection.vendor}, {rows:,} rows loaded in {load:.1f}s"
          f"{' by COPY' if connection.vendor == 'postgresql' else ''}, {queries} queries "
          f"per kind, 50 rows a page):")
    print(f"  {'kind':42} {'p50':>8} {'p95':>8} {'max':>8}  (ms)")
    for name, run in [*kinds.items(), ("bare indexed lookup (baseline)", lambda i: (
            IncomingDocument.objects.filter(agency=b, year=2026,
                                            incoming_number=sample[i % len(sample)][0])
            .first()))]:
        times: list[float] = []
        for i in range(queries):
            t0 = time.perf_counter()
            run(i)  # a Page's items are a list: the query has run
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        p95 = times[max(0, int(len(times) * 0.95) - 1)]
        print(f"  {name:42} {statistics.median(times):8.1f} {p95:8.1f} {times[-1]:8.1f}")


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
