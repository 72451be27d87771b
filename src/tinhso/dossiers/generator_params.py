"""Distributions and vocabulary of the demo dossier generator (``generator.py``): arrival
patterns by hour, weekday and level, the online and payment ramps of 2019–2025, Vietnamese
names, and the reasons officials write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

# Office time, online submissions and counter visits: (start hour, end hour, weight).
OFFICE_HOURS = [(7.5, 8, 3), (8, 9, 9), (9, 10, 10), (10, 11, 8), (11, 11.5, 3),
                (13.5, 14, 4), (14, 15, 8), (15, 16, 7), (16, 17, 4), (17, 17.5, 1)]
ONLINE_HOURS: list[tuple[float, float, int]] = [
    (0, 6, 4), (6, 7, 3), (7, 8, 6), (8, 11, 30), (11, 13, 12), (13, 17, 36),
    (17, 19, 12), (19, 22, 21), (22, 24, 5)]
WEEKDAY_FACTOR = (1.2, 1.1, 1.05, 1.0, 0.95, 0.7, 0.7)
LEVEL_FACTOR = {"commune": 1.5, "district": 1.0, "province": 0.8}
# Online share after the 2022 campaign by kind of desk (seed figures: province 99.52%, commune
# 98.86%, district one-stop 96.39%, district land office 87.97%).
ONLINE_TARGET = {"province": 0.995, "commune": 0.988, "district": 0.964, "land": 0.88}
ONLINE_RAMP = [(dt.date(2019, 1, 1), 0.05), (dt.date(2020, 1, 1), 0.10),
               (dt.date(2021, 1, 1), 0.25), (dt.date(2022, 6, 1), 0.55)]
CAMPAIGN_END = dt.date(2022, 10, 1)  # the 92-day campaign of mid-2022
PAY_ONLINE = {True: [(dt.date(2019, 1, 1), 0.05), (dt.date(2021, 1, 1), 0.3),
                     (dt.date(2022, 6, 1), 0.5), (CAMPAIGN_END, 0.85), (dt.date(2025, 1, 1), 0.92)],
              False: [(dt.date(2022, 1, 1), 0.0), (dt.date(2023, 1, 1), 0.05),
                      (dt.date(2025, 1, 1), 0.25)]}
DIGITIZED = [(dt.date(2019, 1, 1), 0.05), (dt.date(2022, 1, 1), 0.4), (dt.date(2023, 1, 1), 0.7),
             (dt.date(2024, 6, 1), 0.85)]
SURNAMES = [("Nguyễn", 38), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 4), ("Huỳnh", 3),
            ("Phan", 4), ("Vũ", 3), ("Võ", 3), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2),
            ("Ngô", 2), ("Dương", 2), ("Lý", 1), ("Điểu", 1)]
MIDDLE = {"m": ["Văn", "Hữu", "Đức", "Minh", "Quốc", "Thanh", "Hoàng", "Công"],
          "f": ["Thị", "Ngọc", "Thu", "Kim", "Thanh", "Mỹ", "Bích", "Hồng"]}
GIVEN = {"m": ["An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khang", "Long", "Minh", "Nam",
               "Phúc", "Quang", "Sơn", "Tài", "Thắng", "Tuấn", "Việt", "Vinh"],
         "f": ["Anh", "Chi", "Dung", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Ngân",
               "Nhung", "Phương", "Thảo", "Trang", "Uyên", "Vân", "Yến"]}
ORG_FORMS = ["Công ty TNHH", "Công ty Cổ phần", "Hợp tác xã", "Doanh nghiệp tư nhân"]
ORG_WORDS = ["Phú", "Thịnh", "An", "Bình", "Phước", "Long", "Hưng", "Điều Vàng", "Tiêu Xanh",
             "Cao su", "Đồng Xoài", "Sông Bé", "Hoàng Gia", "Thành Công", "Minh Phát", "Nông sản"]
REFUSE_REASONS = ["Hồ sơ không thuộc thẩm quyền giải quyết.",
                  "Người nộp không đủ điều kiện theo quy định."]
SUPPLEMENT_REASONS = ["Bổ sung bản sao giấy tờ tùy thân còn hiệu lực.",
                      "Tờ khai thiếu chữ ký của người yêu cầu.",
                      "Bổ sung giấy tờ chứng minh quan hệ nhân thân."]
STOP_REASONS = ["Người nộp không thực hiện nghĩa vụ tài chính đúng hạn.",
                "Cơ quan có thẩm quyền có văn bản đề nghị tạm dừng."]
WITHDRAW_REASON = "Người nộp đề nghị rút hồ sơ."
APOLOGY_REASON = "Hồ sơ cần xác minh thêm, xin lỗi và hẹn lại ngày trả kết quả."
TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def interpolate(points: Sequence[tuple[dt.date, float]], ordinal: int) -> float:
    if ordinal <= points[0][0].toordinal():
        return points[0][1]
    for (d0, v0), (d1, v1) in zip(points, points[1:], strict=False):
        o0, o1 = d0.toordinal(), d1.toordinal()
        if ordinal <= o1:
            return v0 + (v1 - v0) * (ordinal - o0) / (o1 - o0)
    return points[-1][1]
