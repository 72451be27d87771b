"""Demo traceability data for ``tinhso demo``: traced lots of cashew, pepper and rubber.

Six parties (a farm or co-operative and a processor/trader per crop), their GLNs, GS1 company
prefixes (893 is Viet Nam's GS1 prefix; the numbers are invented), products, VietGAP/OCOP
certificates, and for each crop three lots through harvest → bagging → shipping → receiving →
processing (cashew, rubber) → retail. Harvest events carry the IoT summary of the demo parcel of
the same crop when it has readings. Idempotent: does nothing once the demo products exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from tinhso.trace import flows
from tinhso.trace.identifiers import check_digit


def _gln(prefix: str, ref: str) -> str:
    body = (prefix + ref).ljust(12, "0")[:12]
    return body + check_digit(body)


def _gtin(prefix: str, ref: str) -> str:
    body = ("0" + prefix + ref).ljust(13, "0")[:13]
    return body + check_digit(body)


def _sscc(prefix: str, serial: int) -> str:
    body = "0" + prefix + str(serial).zfill(16 - len(prefix))
    return body + check_digit(body)


@dataclass(frozen=True)
class Crop:
    crop: str
    grower: tuple[str, str, str, str]  # username, name, kind, commune hint
    maker: tuple[str, str, str, str]
    grower_prefix: str
    maker_prefix: str
    raw_name: str
    made_name: str | None  # None: sold as harvested (pepper)
    yield_ratio: float
    vietgap: str
    ocop: tuple[str, int] | None


CROPS = [
    Crop("cashew", ("truyxuat.dieu.budang", "Tổ hợp tác điều Bù Đăng", "cooperative", "Bù Đăng"),
         ("truyxuat.dieu.chebien", "Công ty CP Chế biến điều Bình Phước", "processor",
          "Đồng Xoài"), "8930611", "8930612", "Hạt điều thô Bù Đăng", "Nhân điều W320",
         0.22, "VietGAP-TT-0117", ("1568/QĐ-UBND", 4)),
    Crop("pepper", ("truyxuat.tieu.locninh", "HTX Hồ tiêu Lộc Ninh", "cooperative", "Lộc Ninh"),
         ("truyxuat.tieu.thumua", "Doanh nghiệp thu mua tiêu Bình Long", "trader", "Bình Long"),
         "8930621", "8930622", "Hạt tiêu đen Lộc Ninh", None, 1.0, "VietGAP-TT-0203",
         ("2011/QĐ-UBND", 3)),
    Crop("rubber", ("truyxuat.caosu.dongphu", "Nông trường cao su Đồng Phú", "farm",
                    "Đồng Phú"),
         ("truyxuat.caosu.nhamay", "Nhà máy chế biến mủ cao su Đồng Phú", "processor",
          "Đồng Phú"), "8930631", "8930632", "Mủ cao su nước", "Cao su tờ RSS3", 0.3,
         "VietGAP-TT-0311", None),
]


def _commune(hint: str) -> Any:
    from tinhso.units.models import AdminUnit, Level

    units = AdminUnit.objects.filter(level=Level.COMMUNE)
    return (units.filter(name__icontains=hint).order_by("valid_to", "code").first()
            or units.order_by("code").first())


def _party(spec: tuple[str, str, str, str], prefix: str, location_kind: str) -> Any:
    from tinhso.accounts.models import AccountKind, User
    from tinhso.trace.services import party_register

    username, name, kind, hint = spec
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username=username, password=None, full_name=name,
                                        kind=AccountKind.ORGANISATION)
    return party_register(acting_user=None, user=user, name=name, kind=kind,
                          glns=[(_gln(prefix, "0001"), name, location_kind)],
                          prefixes=[prefix], commune=_commune(hint),
                          # The demo's co-operatives and companies show the opt-in (0020).
                          events_public=True)


def _sensors(crop: str, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    from tinhso.iot.models import Parcel

    parcel = Parcel.objects.filter(crop=crop).order_by("id").first()
    return flows.parcel_sensor_elements(parcel, start=start, end=end) if parcel else []


def load_trace_demo(*, today: dt.date | None = None) -> int:
    """Create the demo parties and capture their lots' events; returns the events captured."""
    from tinhso.trace.ledger import head_publish_if_ready
    from tinhso.trace.models import Certificate, Product
    from tinhso.trace.services import event_capture

    if Product.objects.filter(gtin=_gtin(CROPS[0].grower_prefix, "00001")).exists():
        return 0
    today = today or dt.date.today()
    tz = dt.timezone(dt.timedelta(hours=7))
    count = 0
    with transaction.atomic():
        for c_index, crop in enumerate(CROPS):
            grower = _party(crop.grower, crop.grower_prefix, "farm")
            maker = _party(crop.maker, crop.maker_prefix,
                           "processor" if crop.made_name else "warehouse")
            raw = _gtin(crop.grower_prefix, "00001")
            Product.objects.create(gtin=raw, party=grower, name=crop.raw_name, crop=crop.crop)
            made = _gtin(crop.maker_prefix, "00001") if crop.made_name else None
            if made:
                Product.objects.create(gtin=made, party=maker, name=crop.made_name or "",
                                       crop=crop.crop)
            Certificate.objects.create(party=grower, kind="vietgap",
                                       decision_number=crop.vietgap,
                                       issuer="Chi cục Trồng trọt và Bảo vệ thực vật",
                                       issued_on=today - dt.timedelta(days=400),
                                       valid_until=today + dt.timedelta(days=700))
            if crop.ocop:
                number, stars = crop.ocop
                owner, gtin = (maker, made) if made else (grower, raw)
                Certificate.objects.create(party=owner, gtin=gtin or "", kind="ocop",
                                           decision_number=number,
                                           issuer="UBND tỉnh Bình Phước", stars=stars,
                                           issued_on=today - dt.timedelta(days=200))
            g_gln, m_gln = _gln(crop.grower_prefix, "0001"), _gln(crop.maker_prefix, "0001")
            for lot_no in range(3):
                start = dt.datetime.combine(today - dt.timedelta(days=60 - 15 * lot_no),
                                            dt.time(7, 30), tz) + dt.timedelta(hours=c_index)
                lot = f"{start:%y%m%d}-{lot_no + 1:02d}"
                kg = 1500 + 250 * lot_no
                bag = _sscc(crop.grower_prefix, lot_no + 1)
                events = [
                    (grower, flows.harvest(gln=g_gln, gtin=raw, lot=lot, kg=kg, when=start,
                                           sensors=_sensors(crop.crop,
                                                            start - dt.timedelta(days=30),
                                                            start))),
                    (grower, flows.bagging(gln=g_gln, sscc=bag, gtin=raw, lot=lot, kg=kg,
                                           when=start + dt.timedelta(days=3))),
                    (grower, flows.shipping(gln=g_gln, sscc=bag, to_gln=m_gln,
                                            when=start + dt.timedelta(days=4))),
                    (maker, flows.receiving(gln=m_gln, sscc=bag, from_gln=g_gln,
                                            when=start + dt.timedelta(days=4, hours=5))),
                ]
                sold_gtin, sold_kg = raw, float(kg)
                if made:
                    sold_gtin, sold_kg = made, round(kg * crop.yield_ratio, 1)
                    events.append((maker, flows.processing(
                        gln=m_gln, inputs=[(raw, lot, kg)], outputs=[(made, lot, sold_kg)],
                        when=start + dt.timedelta(days=8))))
                events.append((maker, flows.retail(gln=m_gln, gtin=sold_gtin, lot=lot,
                                                   kg=min(sold_kg, 50),
                                                   when=start + dt.timedelta(days=12))))
                for party, event in events:
                    event_capture(acting_user=party.user, event=event,
                                  context=[flows.EPCIS_CONTEXT])
                    count += 1
    head_publish_if_ready()
    return count


def demo_lots() -> list[tuple[str, str]]:
    """(gtin, lot) of the demo's finished lots, for the marketplace's listings."""
    from tinhso.trace.models import EpcRole, EventEpc
    from tinhso.trace.selectors import _lot_parts

    uris = (EventEpc.objects.filter(role=EpcRole.CLASS, event__biz_step__endswith="retail_selling")
            .values_list("epc", flat=True).distinct())
    return sorted(_lot_parts(u) for u in uris)
