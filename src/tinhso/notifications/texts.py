"""Message texts per kind, in Vietnamese and English: title, body (e-mail, in-app) and SMS.

E-mail and in-app texts keep their diacritics. SMS texts are sent without them: GSM-7 (the
alphabet of a single 160-character SMS) has no Vietnamese letters, a UCS-2 message holds only 70
characters, and Vietnamese brandname gateways commonly accept or convert to unaccented text.
``sms_text`` folds the rendered SMS to ASCII and cuts it to one message (160 characters).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

SMS_MAX = 160

# Placeholders (str.format): code, procedure, agency, due, link, short_link, reason, amount,
# deadline, new_due, how, step.
TEXTS: dict[str, dict[str, tuple[str, str, str | None]]] = {
    # --- applicants ---------------------------------------------------------------------------
    "received": {
        "vi": ("Hồ sơ {code} đã được tiếp nhận",
               "{agency} đã tiếp nhận hồ sơ {code} ({procedure}).\n"
               "Ngày hẹn trả kết quả: {due}.\nTheo dõi hồ sơ: {link}",
               "Ho so {code} da duoc tiep nhan. Hen tra ket qua: {due}. Tra cuu: {short_link}"),
        "en": ("Dossier {code} received",
               "{agency} received dossier {code} ({procedure}).\n"
               "Results are due on {due}.\nFollow the dossier: {link}",
               "Dossier {code} received. Result due {due}. Track: {short_link}"),
    },
    "supplement_requested": {
        "vi": ("Hồ sơ {code} cần bổ sung",
               "Cơ quan yêu cầu bổ sung, hoàn thiện hồ sơ {code}:\n{reason}\n"
               "Đề nghị bổ sung trước {deadline}. Thời gian chờ bổ sung không tính vào thời hạn "
               "giải quyết.\nBổ sung hồ sơ: {link}",
               "Ho so {code} can bo sung truoc {deadline}: {reason}. Chi tiet: {short_link}"),
        "en": ("Dossier {code} needs more documents",
               "The agency asks you to complete dossier {code}:\n{reason}\n"
               "Please supplement it before {deadline}. The waiting time does not count against "
               "the processing deadline.\nSupplement: {link}",
               "Dossier {code}: please supplement before {deadline}: {reason}. {short_link}"),
    },
    "payment_requested": {
        "vi": ("Hồ sơ {code}: đề nghị nộp phí, lệ phí",
               "Đề nghị nộp {amount} phí, lệ phí cho hồ sơ {code} ({procedure}).\n"
               "Thanh toán trực tuyến tại: {link}\n"
               "Hoặc chuyển khoản (VietQR): ngân hàng mã BIN {bank_bin}, tài khoản {account} "
               "({account_name}), nội dung chuyển khoản: {transfer_note}",
               "Ho so {code}: de nghi nop {amount_ascii}. ND CK: {transfer_note}. Thanh toan: "
               "{short_link}"),
        "en": ("Dossier {code}: fee payment requested",
               "Please pay {amount} in fees for dossier {code} ({procedure}).\n"
               "Pay online at: {link}\n"
               "Or by bank transfer (VietQR): bank BIN {bank_bin}, account {account} "
               "({account_name}), transfer note: {transfer_note}",
               "Dossier {code}: please pay {amount_ascii}. Transfer note: {transfer_note}. Pay: "
               "{short_link}"),
    },
    "result_ready": {
        "vi": ("Hồ sơ {code} đã có kết quả",
               "Hồ sơ {code} ({procedure}) đã được giải quyết.\n{how}\nChi tiết: {link}",
               "Ho so {code} da co ket qua. {how} {short_link}"),
        "en": ("Dossier {code}: the result is ready",
               "Dossier {code} ({procedure}) has been processed.\n{how}\nDetails: {link}",
               "Dossier {code}: result ready. {how} {short_link}"),
    },
    "apologized": {
        "vi": ("Thư xin lỗi và hẹn lại ngày trả kết quả hồ sơ {code}",
               "{agency} xin lỗi vì hồ sơ {code} chưa được giải quyết đúng hẹn.\n"
               "Lý do: {reason}\nNgày hẹn trả kết quả mới: {new_due}.\nTheo dõi hồ sơ: {link}",
               "Xin loi: ho so {code} tre hen. Hen tra moi: {new_due}. {short_link}"),
        "en": ("Apology and new appointment for dossier {code}",
               "{agency} apologises: dossier {code} was not processed on time.\n"
               "Reason: {reason}\nNew return date: {new_due}.\nFollow the dossier: {link}",
               "Sorry: dossier {code} is late. New date: {new_due}. {short_link}"),
    },
    "refused": {
        "vi": ("Hồ sơ {code} không được tiếp nhận",
               "Hồ sơ {code} ({procedure}) không được tiếp nhận.\nLý do: {reason}\n"
               "Chi tiết: {link}",
               "Ho so {code} khong duoc tiep nhan. Ly do: {reason}"),
        "en": ("Dossier {code} was not accepted",
               "Dossier {code} ({procedure}) was not accepted.\nReason: {reason}\n"
               "Details: {link}",
               "Dossier {code} not accepted. Reason: {reason}"),
    },
    "withdrawn": {
        "vi": ("Hồ sơ {code} đã được rút",
               "Hồ sơ {code} ({procedure}) đã được rút theo yêu cầu.\nLý do: {reason}",
               "Ho so {code} da duoc rut. Ly do: {reason}"),
        "en": ("Dossier {code} withdrawn",
               "Dossier {code} ({procedure}) was withdrawn at your request.\nReason: {reason}",
               "Dossier {code} withdrawn. Reason: {reason}"),
    },
    "stopped": {
        "vi": ("Hồ sơ {code} bị dừng xử lý",
               "Hồ sơ {code} ({procedure}) bị dừng xử lý.\nLý do: {reason}\nChi tiết: {link}",
               "Ho so {code} bi dung xu ly. Ly do: {reason}"),
        "en": ("Processing of dossier {code} stopped",
               "Processing of dossier {code} ({procedure}) was stopped.\nReason: {reason}\n"
               "Details: {link}",
               "Dossier {code} stopped. Reason: {reason}"),
    },
    # --- officials (in-app and e-mail; reminders also by SMS) ----------------------------------
    "new_online": {
        "vi": ("Hồ sơ trực tuyến mới chờ tiếp nhận: {code}",
               "Hồ sơ {code} ({procedure}) vừa được nộp trực tuyến, chờ tiếp nhận.\n{link}", None),
        "en": ("New online dossier to receive: {code}",
               "Dossier {code} ({procedure}) was submitted online and awaits reception.\n{link}",
               None),
    },
    "assigned": {
        "vi": ("Bạn được giao xử lý hồ sơ {code}",
               "Hồ sơ {code} ({procedure}) đã vào hàng đợi của bạn: {step}.\n"
               "Hạn giải quyết: {due}.\n{link}", None),
        "en": ("Dossier {code} assigned to you",
               "Dossier {code} ({procedure}) is now in your queue: {step}.\nDue: {due}.\n{link}",
               None),
    },
    "new_in_queue": {
        "vi": ("Hồ sơ mới trong hàng đợi: {code}",
               "Hồ sơ {code} ({procedure}) đang chờ xử lý ở bước {step} (vai trò của bạn).\n"
               "Hạn giải quyết: {due}.\n{link}", None),
        "en": ("New dossier in your queue: {code}",
               "Dossier {code} ({procedure}) awaits the step {step} (your role).\nDue: {due}.\n"
               "{link}", None),
    },
    "back_in_queue": {
        "vi": ("Hồ sơ {code} đã được bổ sung hoặc nộp phí",
               "Hồ sơ {code} ({procedure}) tiếp tục chờ bạn xử lý.\nHạn giải quyết: {due}.\n{link}",
               None),
        "en": ("Dossier {code} supplemented or paid",
               "Dossier {code} ({procedure}) is back in your queue.\nDue: {due}.\n{link}", None),
    },
    "near_due": {
        "vi": ("Hồ sơ {code} sắp đến hạn",
               "Hồ sơ {code} ({procedure}) đến hạn giải quyết lúc {due}.\n{link}",
               "Ho so {code} sap den han: {due}."),
        "en": ("Dossier {code} is nearly due",
               "Dossier {code} ({procedure}) is due on {due}.\n{link}",
               "Dossier {code} due {due}."),
    },
    "overdue": {
        "vi": ("Hồ sơ {code} đã quá hạn",
               "Hồ sơ {code} ({procedure}) đã quá hạn giải quyết ({due}).\n{link}",
               "Ho so {code} da qua han ({due})."),
        "en": ("Dossier {code} is overdue",
               "Dossier {code} ({procedure}) is past its due date ({due}).\n{link}",
               "Dossier {code} overdue ({due})."),
    },
    # --- leaders: IOC alerts they subscribe to (notifications/alerts.py) --------------------
    "indicator_low": {
        "vi": ("{unit}: {indicator} {ratio} dưới ngưỡng {threshold} (tháng {month})",
               "{unit}: {indicator} đạt {ratio} ({numerator}/{denominator} hồ sơ), dưới ngưỡng "
               "{threshold} trong tháng {month}.\nXem trên bảng điều hành IOC: {link}",
               "{unit}: {indicator} {ratio} duoi nguong {threshold} thang {month}."),
        "en": ("{unit}: {indicator_en} {ratio} below {threshold} ({month})",
               "{unit}: {indicator_en} is {ratio} ({numerator}/{denominator} dossiers), below "
               "the {threshold} threshold in {month}.\nSee the IOC: {link}",
               "{unit}: {indicator_en} {ratio} below {threshold} in {month}."),
    },
    "petition_overdue": {
        "vi": ("Phản ánh, kiến nghị {code} đã quá hạn xử lý",
               "Phản ánh, kiến nghị {code} ({title}) gửi {agency} đã quá hạn xử lý ({due}).\n"
               "{link}",
               "Phan anh {code} gui {agency} da qua han xu ly ({due})."),
        "en": ("Petition {code} is overdue",
               "Petition {code} ({title}) to {agency} is past its handling deadline ({due}).\n"
               "{link}",
               "Petition {code} to {agency} overdue ({due})."),
    },
    # --- payers: the electronic receipt of a fee (payments/receipts.py) ----------------------
    "receipt_issued": {
        "vi": ("Biên lai điện tử cho hồ sơ {code}",
               "{agency} đã lập biên lai điện tử số {number} (ký hiệu {series}) cho khoản "
               "{amount} của hồ sơ {code}.\nTải biên lai, có chữ ký số: {link}",
               "Bien lai dien tu so {number} cho ho so {code}: {amount}. Tai ve: {short_link}"),
        "en": ("Electronic receipt for dossier {code}",
               "{agency} issued electronic receipt no. {number} (series {series}) for {amount} "
               "paid for dossier {code}.\nDownload the signed receipt: {link}",
               "Receipt no. {number} for dossier {code}: {amount}. {short_link}"),
    },
    # --- officials: incoming documents (correspondence/reminders.py) --------------------------
    "corr_assigned": {
        "vi": ("Văn bản đến cần xử lý: {code}",
               "Bạn được giao xử lý văn bản {code} của {agency}: {procedure}.\n"
               "Hạn xử lý: {due}.\n{link}", None),
        "en": ("Incoming document to handle: {code}",
               "You are to handle document {code} from {agency}: {procedure}.\nDue: {due}.\n"
               "{link}", None),
    },
    "corr_near_due": {
        "vi": ("Văn bản đến {code} sắp đến hạn xử lý",
               "Văn bản {code} ({procedure}) đến hạn xử lý ngày {due}.\n{link}",
               "Van ban {code} sap den han xu ly: {due}."),
        "en": ("Incoming document {code} is nearly due",
               "Document {code} ({procedure}) is due on {due}.\n{link}",
               "Document {code} due {due}."),
    },
    "corr_overdue": {
        "vi": ("Văn bản đến {code} đã quá hạn xử lý",
               "Văn bản {code} ({procedure}) đã quá hạn xử lý ({due}).\n{link}",
               "Van ban {code} da qua han xu ly ({due})."),
        "en": ("Incoming document {code} is overdue",
               "Document {code} ({procedure}) is past its due date ({due}).\n{link}",
               "Document {code} overdue ({due})."),
    },
    # --- farms: agronomic alarms (iot/alarms.py) --------------------------------------------
    "farm_alarm_raised": {
        "vi": ("Cảnh báo {severity}: {alarm} — {farm}",
               "Thửa {parcel} ({crop}) của {farm}: {alarm}.\n{advice}\nXem số liệu: {link}",
               "Canh bao {alarm} tai {farm}, thua {parcel}. {short_link}"),
        "en": ("{severity} alarm: {alarm} — {farm}",
               "Parcel {parcel} ({crop}) of {farm}: {alarm}.\n{advice}\nReadings: {link}",
               "Alarm {alarm} at {farm}, parcel {parcel}. {short_link}"),
    },
    "farm_alarm_cleared": {
        "vi": ("Đã hết cảnh báo: {alarm} — {farm}",
               "Điều kiện gây cảnh báo {alarm} ở thửa {parcel} của {farm} không còn.\n{link}",
               None),
        "en": ("Alarm cleared: {alarm} — {farm}",
               "The conditions of the alarm {alarm} on parcel {parcel} of {farm} have ended."
               "\n{link}", None),
    },
    # --- meetings (meetings/invitations.py, meetings/reminders.py) ---------------------------
    "meeting_invited": {
        "vi": ("Giấy mời họp: {title}",
               "{agency} trân trọng kính mời dự cuộc họp «{title}».\nThời gian: {when}.\n"
               "Địa điểm: {place}.\nHọp trực tuyến: {video}\nTài liệu họp: {link}",
               None),
        "en": ("Meeting invitation: {title}",
               "{agency} invites you to the meeting “{title}”.\nWhen: {when}.\nWhere: {place}."
               "\nVideo: {video}\nPapers: {link}", None),
    },
    "meeting_reminder": {
        "vi": ("Sắp họp ({hours} giờ nữa): {title}",
               "Cuộc họp «{title}» bắt đầu lúc {when} tại {place}.\nHọp trực tuyến: {video}\n"
               "Tài liệu họp: {link}",
               "Nhac lich hop {when}: {reason}. {short_link}"),
        "en": ("Meeting in {hours} h: {title}",
               "The meeting “{title}” starts at {when} in {place}.\nVideo: {video}\n"
               "Papers: {link}", "Meeting {when}: {reason}. {short_link}"),
    },
    # --- the farm marketplace (tinhso.market.notify: step and detail per role and language) -----
    "market_order": {
        "vi": ("Đơn hàng {code}: {step}",
               "{detail}\nSản phẩm: {product}, số lượng {quantity}, thành tiền {amount}.\n"
               "Xem đơn hàng: {link}",
               "Don hang {code}: {step}. {short_link}"),
        "en": ("Order {code}: {step}",
               "{detail}\nProduct: {product}, quantity {quantity}, total {amount}.\n"
               "See the order: {link}",
               "Order {code}: {step}. {short_link}"),
    },
}

HOW_ELECTRONIC = {
    "vi": "Kết quả điện tử có chữ ký số: tải về trên trang hồ sơ.",
    "en": "The electronic, digitally signed result can be downloaded from the dossier page.",
}
HOW_COUNTER = {
    "vi": "Mời nhận kết quả tại bộ phận một cửa của {agency}.",
    "en": "Please collect the result at the one-stop desk of {agency}.",
}


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    sms: str  # empty: this kind is not sent by SMS


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def ascii_fold(text: str) -> str:
    """Vietnamese without diacritics, keeping case: ``Hồ sơ Đã`` → ``Ho so Da``."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Anything left outside printable ASCII (typographic quotes, …) becomes a space.
    return "".join(ch if 32 <= ord(ch) < 127 else " " for ch in stripped)


def sms_text(text: str) -> str:
    """One SMS: ASCII, single-spaced, at most 160 characters (cut with "...")."""
    flat = " ".join(ascii_fold(text).split())
    if len(flat) <= SMS_MAX:
        return flat
    return flat[: SMS_MAX - 3].rstrip() + "..."


def render(kind: str, language: str, context: dict[str, Any]) -> Rendered:
    texts = TEXTS[kind].get(language) or TEXTS[kind]["vi"]
    values = _Blank(context)
    title, body, sms = texts
    sms_out = ""
    if sms is not None:
        # The reason is the part that can be long: shorten it first so the link survives.
        reason = " ".join(str(values.get("reason", "")).split())
        budget = SMS_MAX - len(ascii_fold(sms.format_map(_Blank({**values, "reason": ""}))))
        if len(reason) > budget:
            reason = reason[: max(budget - 3, 0)].rstrip() + "..."
        sms_out = sms_text(sms.format_map(_Blank({**values, "reason": reason})))
    return Rendered(title=title.format_map(values)[:300], body=body.format_map(values),
                    sms=sms_out)
