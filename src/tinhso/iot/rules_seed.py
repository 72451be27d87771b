"""The default agronomic rules (seeded by migration 0003; agronomists edit them in the admin).

Thresholds are starting points drawn from public extension material cited in docs/iot.md;
where the material gives a qualitative condition only ("prolonged wet soil", "warm, damp
weather"), the number is ours and marked so in the docs. Keys: soil_moisture (% volumetric),
soil_temperature, air_temperature (°C), air_humidity (% RH), rain (mm per reading),
leaf_wetness (% of the interval wet).
"""

from __future__ import annotations

from typing import Any

# Cited in docs/iot.md; migration 0005 moves unedited rules of older installs to these.
HEAT_SOURCE = ("KTTV: nắng nóng gay gắt khi nhiệt độ cao nhất ≥ 37 °C; điều rụng quả ở 39–42 °C "
               "(KAU CEL); hồ tiêu chịu tối đa 40 °C (KAU CEL). 3 giờ liền ≥ 37 °C: ngưỡng sớm")
COLD_NAME = "Rét hại (nhiệt độ trung bình ≤ 13 °C)"
COLD_SOURCE = ("KTTV: rét hại khi nhiệt độ trung bình ngày ≤ 13 °C; hồ tiêu chịu tối thiểu 10 °C "
               "(KAU CEL); điều cần nhiệt độ không xuống dưới 20 °C kéo dài (DCCD, Ấn Độ)")

RULES: list[dict[str, Any]] = [
    {"code": "pepper-foot-rot", "name": "Nguy cơ bệnh chết nhanh hồ tiêu (Phytophthora)",
     "crop": "pepper", "stages": "", "duration_hours": 72, "severity": "major",
     "advice": "Khơi rãnh thoát nước, không để đọng nước quanh gốc; kiểm tra gốc, lá sát đất.",
     "source": "IISR/CPSS Kerala; TNAU; East-West Seed; Cornell (đất bão hoà nước)",
     "conditions": [("soil_moisture", "min", "ge", 40.0), ("rain", "sum", "ge", 50.0)]},
    {"code": "cashew-anthracnose", "name": "Nguy cơ bệnh thán thư điều khi ra hoa",
     "crop": "cashew", "stages": "flowering", "duration_hours": 48, "severity": "major",
     "advice": "Theo dõi chồi hoa; phun phòng theo khuyến cáo khi trời tạnh.",
     "source": "Infonet-Biovision; SPC Cambodia; Embrapa (Colletotrichum 25–30 °C)",
     "conditions": [("air_humidity", "avg", "ge", 85.0), ("rain", "sum", "ge", 5.0)]},
    {"code": "rubber-leaf-fall", "name": "Nguy cơ rụng lá cao su (Corynespora, Pestalotiopsis)",
     "crop": "rubber", "stages": "", "duration_hours": 72, "severity": "minor",
     "advice": "Kiểm tra lá non; bón phân cân đối; phun phòng trên dòng vô tính mẫn cảm.",
     "source": "Malaysian Rubber Board review (Aliya et al. 2022); 26–29 °C, mưa nhỏ kéo dài",
     "conditions": [("air_temperature", "avg", "ge", 24.0), ("air_temperature", "avg", "le", 28.0),
                    ("air_humidity", "avg", "ge", 90.0), ("rain", "sum", "ge", 3.0),
                    ("rain", "sum", "le", 60.0)]},
    {"code": "drought-stress", "name": "Khô hạn: độ ẩm đất thấp kéo dài",
     "crop": "", "stages": "", "duration_hours": 72, "severity": "minor",
     "advice": "Tưới bổ sung, tủ gốc giữ ẩm.",
     "source": "Ngưỡng tự đặt (chưa xác nhận): ~điểm héo của đất đỏ bazan",
     "conditions": [("soil_moisture", "max", "le", 15.0)]},
    {"code": "heat-stress", "name": "Nắng nóng gay gắt", "crop": "", "stages": "",
     "duration_hours": 3, "severity": "warning",
     "advice": "Tưới giữ ẩm, che phủ cây non.",
     "source": HEAT_SOURCE,
     "conditions": [("air_temperature", "min", "ge", 37.0)]},
    {"code": "frost-stress", "name": COLD_NAME, "crop": "", "stages": "",
     "duration_hours": 24, "severity": "major",
     "advice": "Che phủ, tưới ẩm trước đêm lạnh.",
     "source": COLD_SOURCE,
     "conditions": [("air_temperature", "avg", "le", 13.0)]},
    {"code": "device-offline", "name": "Thiết bị mất kết nối", "kind": "offline", "crop": "",
     "stages": "", "duration_hours": 1, "severity": "warning",
     "advice": "Kiểm tra nguồn điện, sóng di động của trạm.", "source": "", "conditions": []},
]


def seed(rule_model: Any, condition_model: Any) -> int:
    """Create the rules whose code is missing (existing ones, maybe edited, are left alone);
    return how many were created. Models are passed in so migrations can use their own."""
    created_count = 0
    for spec in RULES:
        spec = dict(spec)
        conditions = spec.pop("conditions")
        rule, created = rule_model.objects.get_or_create(code=spec.pop("code"), defaults=spec)
        if created:
            created_count += 1
            for key, aggregate, op, threshold in conditions:
                condition_model.objects.create(rule=rule, key=key, aggregate=aggregate, op=op,
                                               threshold=threshold)
    return created_count
