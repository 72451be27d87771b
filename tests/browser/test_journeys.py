"""The main journeys in a real browser: a citizen finds a procedure, submits with attachments,
answers a supplement request, pays the fee through the VNPAY sandbox (its own process) and
downloads the result; officers receive, process, approve and return it. Screenshots of every
step go to var/screenshots/."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest
from django.contrib.auth.hashers import make_password

from tests import factories
from tests.payments.conftest import SECRET, TMN
from tests.processes import free_port, serving
from tinhso.dossiers.models import Attachment, AttachmentKind, Dossier, Status
from tinhso.payments.models import Payment, PaymentStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Mat-khau-thu-nghiem-2025"
PDF_BYTES = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]"
             b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
SCHEMA = {
    "type": "object",
    "required": ["ho_ten", "ngay_sinh", "gioi_tinh"],
    "properties": {
        "ho_ten": {"type": "string", "minLength": 1, "title": "Họ và tên người được khai sinh"},
        "ngay_sinh": {"type": "string", "format": "date", "title": "Ngày sinh"},
        "gioi_tinh": {"type": "string", "enum": ["nam", "nu"], "enumNames": ["Nam", "Nữ"],
                      "title": "Giới tính"},
    },
}


@pytest.fixture
def world(settings, tmp_path):
    from tests.signatures.pkihelpers import init_pki

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TINHSO_PUBLIC_URL = "https://tinhso.example.vn"
    init_pki()  # the result is issued as a signed PDF (tinhso.documents)
    agency = factories.make_agency(name="UBND phường Tân Phú")
    procedure = factories.make_procedure(agencies=[agency], name="Đăng ký khai sinh",
                                         form_schema=SCHEMA)
    factories.make_procedure(agencies=[agency], name="Cấp giấy phép xây dựng")
    citizen = factories.make_citizen(username="070190012345", id_number="070190012345")
    officers = {role: factories.make_official(agency, role, username=f"cb-{role}")
                for role in ("receiver", "specialist", "leader")}
    for user in [citizen, *officers.values()]:
        user.password = make_password(PASSWORD)
        user.save(update_fields=["password"])
    scan = tmp_path / "giay-chung-sinh.pdf"
    scan.write_bytes(PDF_BYTES)
    return {"agency": agency, "procedure": procedure, "citizen": citizen,
            "officers": officers, "scan": scan}


@pytest.fixture
def payment_sandbox(live_server, settings) -> Iterator[str]:
    """``tinhso payment-sandbox`` (VNPAY's protocol, no money) notifying the live server; the
    browser is sent there and back as a citizen's would be."""
    port = free_port()
    env = {**os.environ, "TINHSO_VNPAY_HASH_SECRET": SECRET, "TINHSO_VNPAY_TMN_CODE": TMN,
           "TINHSO_PRODUCTION": "false"}
    with serving([sys.executable, "-m", "tinhso.cli", "payment-sandbox", "--port", str(port),
                  "--ipn-url", f"{live_server.url}/thanh-toan/vnpay/ipn"], env,
                 f"http://127.0.0.1:{port}") as base:
        settings.TINHSO_VNPAY_HASH_SECRET = SECRET
        settings.TINHSO_VNPAY_TMN_CODE = TMN
        settings.TINHSO_VNPAY_URL = f"{base}/paymentv2/vpcpay.html"
        yield base


def _wait(browser, condition, timeout: float = 15):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    # A page being replaced by the next one makes elements stale for a moment: keep polling.
    return WebDriverWait(browser, timeout, ignored_exceptions=(
        StaleElementReferenceException, NoSuchElementException)).until(condition)


def _css(browser, selector: str):
    from selenium.webdriver.common.by import By

    return browser.find_element(By.CSS_SELECTOR, selector)


def _click_text(browser, tag: str, text: str) -> None:
    from selenium.webdriver.common.by import By

    element = browser.find_element(By.XPATH, f"//{tag}[contains(normalize-space(.), '{text}')]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def _page_has(text: str):
    def check(driver):
        # One script call reads the text atomically: an element handle to <body> can die between
        # finding it and reading it while the next page replaces this one, and Chromium then
        # reports a generic inspector error ("Node ... does not belong to the document"),
        # not a stale-element one.
        return text in (driver.execute_script(
            "return document.body ? document.body.innerText : '';") or "")
    return check


def login(browser, base: str, username: str) -> None:
    browser.get(base + "/dang-nhap/")
    _css(browser, "#id_username").send_keys(username)
    _css(browser, "#id_password").send_keys(PASSWORD)
    _css(browser, "form button[type=submit]:not(.link-button)").click()
    _wait(browser, lambda d: "/dang-nhap/" not in d.current_url)


def logout(browser) -> None:
    browser.delete_all_cookies()


def officer_act(browser, base, shot, code: str, action: str, reason: str = "") -> None:
    browser.get(f"{base}/mot-cua/ho-so/{code}/")
    button = _css(browser, f"section a.btn[href$='/thao-tac/{action}/']")
    button.click()
    _wait(browser, _page_has("Xác nhận thực hiện thao tác này?"))
    if reason:
        _css(browser, "textarea[name=reason]").send_keys(reason)
    shot(f"confirm-{action}")
    _css(browser, "button[name=confirm]").click()
    _wait(browser, _page_has("Đã thực hiện"))


def test_citizen_and_officers_full_journey(browser, shot, live_server, world, payment_sandbox,
                                           settings):
    base = live_server.url
    settings.TINHSO_PUBLIC_URL = base  # VNPAY's return URL must bring the browser back here
    code_holder = {}

    # 1. A citizen finds the procedure by typing without diacritics.
    browser.get(base + "/")
    assert "Bạn cần làm thủ tục gì?" in browser.page_source
    _css(browser, "#q").send_keys("dang ky khai sinh\n")
    _wait(browser, _page_has("Tìm thấy"))
    shot("search")
    _click_text(browser, "a", "Đăng ký khai sinh")
    _wait(browser, _page_has("Giấy tờ cần chuẩn bị"))
    shot("procedure")

    # 2. Submitting asks to sign in first, then walks the wizard.
    _click_text(browser, "button", "Nộp hồ sơ trực tuyến")
    _wait(browser, lambda d: "/dang-nhap/" in d.current_url)
    _css(browser, "#id_username").send_keys(world["citizen"].username)
    _css(browser, "#id_password").send_keys(PASSWORD)
    shot("login")
    _css(browser, "form button[type=submit]:not(.link-button)").click()
    _wait(browser, _page_has("Giấy tờ cần chuẩn bị"))
    _click_text(browser, "button", "Nộp hồ sơ trực tuyến")
    _wait(browser, _page_has("Nơi nộp hồ sơ và thông tin liên hệ"))
    _css(browser, "#id_phone").send_keys("0912345678")
    shot("contact")
    _click_text(browser, "button", "Lưu và tiếp tục")

    _wait(browser, lambda d: "/to-khai/" in d.current_url)
    _click_text(browser, "button", "Lưu và tiếp tục")  # empty: errors in Vietnamese
    _wait(browser, _page_has("Vui lòng kiểm tra lại thông tin"))
    assert "Trường này là bắt buộc." in browser.page_source
    shot("form-errors")
    _css(browser, "#id_ho_ten").send_keys("Nguyễn Minh Khang")
    browser.execute_script("document.getElementById('id_ngay_sinh').value = '2026-01-15';")
    from selenium.webdriver.support.ui import Select

    Select(_css(browser, "#id_gioi_tinh")).select_by_visible_text("Nam")
    _click_text(browser, "button", "Lưu và tiếp tục")

    # 3. Upload the scan (htmx request with a progress bar), then review and submit.
    _wait(browser, _page_has("Tải lên giấy tờ"))
    _css(browser, "input[type=file]").send_keys(str(world["scan"]))
    _click_text(browser, "button", "Tải lên")
    _wait(browser, _page_has("giay-chung-sinh.pdf"))
    shot("uploaded")
    _click_text(browser, "button", "Lưu và tiếp tục")
    _wait(browser, _page_has("Xem lại hồ sơ trước khi nộp"))
    assert "Nguyễn Minh Khang" in browser.page_source and "15/01/2026" in browser.page_source
    _css(browser, "#confirm").click()
    shot("review")
    _click_text(browser, "button", "Nộp hồ sơ")
    _wait(browser, _page_has("Đã nộp hồ sơ"))
    shot("submitted")
    dossier = Dossier.objects.get(applicant=world["citizen"])
    code_holder["code"] = dossier.code
    assert dossier.status == Status.NEW and dossier.attachments.count() == 1

    # 4. The receiver finds it in the reception queue and asks for a supplement.
    logout(browser)
    login(browser, base, "cb-receiver")
    _wait(browser, _page_has("Chờ tiếp nhận"))
    assert dossier.code in browser.page_source
    shot("queue")
    _click_text(browser, "a", dossier.code)
    _wait(browser, _page_has("Thành phần hồ sơ"))
    shot("dossier-page")
    officer_act(browser, base, shot, dossier.code, "receive")
    officer_act(browser, base, shot, dossier.code, "request_supplement",
                reason="Đề nghị bổ sung bản chụp rõ nét giấy chứng sinh.")

    # 5. The citizen answers the request by uploading.
    logout(browser)
    login(browser, base, world["citizen"].username)
    browser.get(f"{base}/ho-so-cua-toi/{dossier.code}/")
    _wait(browser, _page_has("Cơ quan đề nghị bổ sung hồ sơ"))
    shot("supplement-request")
    # The supplement form is boosted by htmx so its upload shows a progress bar.
    assert _css(browser, "#bo-sung form").get_attribute("hx-boost") == "true"
    assert _css(browser, "#bo-sung progress") is not None
    _css(browser, "#bo-sung input[type=file]").send_keys(str(world["scan"]))
    _click_text(browser, "button", "Gửi bổ sung")
    _wait(browser, _page_has("Đã gửi hồ sơ bổ sung"))
    shot("supplemented")
    dossier.refresh_from_db()
    assert dossier.status == Status.RECEIVED

    # 6. The specialist asks for the fee; the citizen pays online through the VNPAY sandbox.
    logout(browser)
    login(browser, base, "cb-specialist")
    browser.get(f"{base}/mot-cua/ho-so/{dossier.code}/")
    _css(browser, "section a.btn[href$='/thao-tac/request_payment/']").click()
    _wait(browser, _page_has("Xác nhận thực hiện thao tác này?"))
    _css(browser, "input[name=amount]").clear()
    _css(browser, "input[name=amount]").send_keys("50000")
    shot("confirm-request_payment")
    _css(browser, "button[name=confirm]").click()
    _wait(browser, _page_has("Đã thực hiện"))
    dossier.refresh_from_db()
    assert dossier.status == Status.PAYMENT_REQUESTED
    logout(browser)
    login(browser, base, world["citizen"].username)
    browser.get(f"{base}/ho-so-cua-toi/{dossier.code}/")
    _wait(browser, _page_has("Phí, lệ phí cần nộp"))
    assert "50.000 đ" in browser.page_source
    shot("fee-due")
    _click_text(browser, "button", "Thanh toán trực tuyến")
    _wait(browser, lambda d: d.current_url.startswith(payment_sandbox))
    _wait(browser, _page_has("Thanh toán thành công"))
    shot("sandbox-gateway")
    _click_text(browser, "button", "Thanh toán thành công")
    # The sandbox calls the IPN over HTTP, then sends the browser back to tinhso.
    _wait(browser, lambda d: d.current_url.startswith(base), timeout=30)
    shot("payment-returned")
    payment = Payment.objects.get(dossier=dossier)
    assert payment.status == PaymentStatus.PAID and payment.amount == 50000
    dossier.refresh_from_db()
    assert dossier.status == Status.PROCESSING

    # 7. Specialist forwards, leader approves, receiver issues the result and returns it.
    logout(browser)
    login(browser, base, "cb-specialist")
    officer_act(browser, base, shot, dossier.code, "forward")
    logout(browser)
    login(browser, base, "cb-leader")
    _wait(browser, _page_has("Chờ phê duyệt"))
    officer_act(browser, base, shot, dossier.code, "approve")
    logout(browser)
    login(browser, base, "cb-receiver")
    browser.get(f"{base}/mot-cua/ho-so/{dossier.code}/")
    # The approval attached the decision's one result, generated from the procedure's template
    # and signed by a job (an uploaded PDF is the other way: tests/documents/test_results.py).
    _wait(browser, lambda d: 'data-result-source="generated"' in d.page_source, timeout=60)
    assert "Tạo kết quả từ mẫu" not in browser.page_source  # no second result is offered
    shot("result-attached")
    officer_act(browser, base, shot, dossier.code, "return_result")
    dossier.refresh_from_db()
    assert dossier.status == Status.RETURNED

    # 8. The citizen downloads the result and rates the service.
    logout(browser)
    login(browser, base, world["citizen"].username)
    browser.get(f"{base}/ho-so-cua-toi/{dossier.code}/")
    _wait(browser, _page_has("Đã trả kết quả."))
    shot("returned")
    result = Attachment.objects.filter(dossier=dossier, kind=AttachmentKind.RESULT).first()
    assert result is not None, "the result document should have been issued"
    assert "Hồ sơ đã được giải quyết theo quy định" not in browser.page_source  # no placeholder
    link = _css(browser, f"[data-result] a[href$='/tep/{result.pk}/']")
    # Fetch the download with the browser's own session to prove the permission check passes.
    status = browser.execute_async_script(
        "const done = arguments[1]; fetch(arguments[0]).then(r => r.arrayBuffer()"
        ".then(b => done([r.status, new TextDecoder().decode(b.slice(0, 5))])));",
        link.get_attribute("href"))
    assert status == [200, "%PDF-"]
    _click_text(browser, "label", "Hài lòng")
    _click_text(browser, "button", "Gửi đánh giá")
    _wait(browser, _page_has("Cảm ơn bạn đã đánh giá."))
    shot("rated")
    dossier.refresh_from_db()
    assert dossier.rating == 1


def test_phone_screen_and_keyboard_navigation(browser, shot, live_server, world):
    """The home page on a phone screen: menu collapses; the skip link is the first tab stop."""
    from selenium.webdriver.common.keys import Keys

    browser.set_window_size(390, 844)
    browser.get(live_server.url + "/")
    _css(browser, "body").send_keys(Keys.TAB)
    active = browser.switch_to.active_element
    assert active.get_attribute("class") == "skip-link"
    assert active.is_displayed()
    shot("phone-skip-link")
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, "no horizontal scrolling on a phone"
    _css(browser, "#q").send_keys("giay phep\n")
    _wait(browser, _page_has("Cấp giấy phép xây dựng"))
    shot("phone-results")


def test_other_agencys_officer_gets_404(browser, live_server, world, shot):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tinhso.dossiers import services

    dossier = services.dossier_submit_online(
        acting_user=world["citizen"], procedure_code=world["procedure"].code,
        agency_code=world["agency"].code,
        form_data={"ho_ten": "A", "ngay_sinh": "2026-01-01", "gioi_tinh": "nu"},
        files=[("to-khai", SimpleUploadedFile("a.pdf", PDF_BYTES))])
    other = factories.make_agency(name="Sở khác")
    outsider = factories.make_official(other, "receiver", username="cb-khac")
    outsider.password = make_password(PASSWORD)
    outsider.save(update_fields=["password"])
    login(browser, live_server.url, "cb-khac")
    url = f"{live_server.url}/mot-cua/ho-so/{dossier.code}/"
    browser.get(url)
    assert "Không tìm thấy trang" in browser.title
    assert "Nguyễn Văn An" not in browser.page_source
    status = browser.execute_async_script(
        "const done = arguments[1]; fetch(arguments[0]).then(r => done(r.status));", url)
    assert status == 404
    shot("outsider-404")


def test_typo_search_office_from_address_and_prefilled_requester(browser, shot, live_server,
                                                                 world):
    """A citizen types with a typo, finds the procedure; the office is not preset: the desk of
    the ward named in the address is suggested, another is found by its old name; the
    requester step is prefilled from the account (issue 11, citizens' journeys)."""
    import datetime as dt

    from tinhso.units.models import AdminUnit, AgencyKind, Level, Structure

    base = live_server.url
    province = AdminUnit.objects.create(
        structure=Structure.CURRENT_2, code="75", name="Đồng Nai", unit_type="Tỉnh",
        level=Level.PROVINCE, valid_from=dt.date(2025, 7, 1))
    wards = []
    for i, name in enumerate(["Bình Phước", "Đồng Xoài", "Long Khánh", "Hố Nai"], start=1):
        unit = AdminUnit.objects.create(
            structure=Structure.CURRENT_2, code=f"26{i:03d}", name=name, unit_type="Phường",
            level=Level.COMMUNE, parent=province, valid_from=dt.date(2025, 7, 1))
        wards.append(factories.make_agency(
            unit=unit, code=f"000.{i:02d}.50.H19", name=f"UBND phường {name}",
            kind=AgencyKind.PEOPLES_COMMITTEE,
            one_stop_desk_name=f"Bộ phận Một cửa UBND phường {name}"))
    old_ward = AdminUnit.objects.create(
        structure=Structure.LEGACY_3, code="25195", name="Tân Phú", unit_type="Phường",
        level=Level.COMMUNE, valid_to=dt.date(2025, 6, 30), successor=wards[0].unit)
    assert old_ward.successor_id
    schema = {"type": "object", "properties": {"nguoi_yeu_cau": {
        "type": "object", "title": "Người yêu cầu chứng thực", "properties": {
            "ho_ten": {"type": "string", "title": "Họ và tên"},
            "so_dinh_danh": {"type": "string", "title": "Số định danh cá nhân"}}}}}
    factories.make_procedure(agencies=wards, name="Chứng thực bản sao từ bản chính",
                             result_name="Bản sao có chứng thực", form_schema=schema)
    citizen = world["citizen"]
    citizen.full_name = "Trần Thị Lan"
    citizen.address = "12 Phú Riềng Đỏ, phường Tân Phú, Đồng Xoài"
    citizen.save(update_fields=["full_name", "address"])

    login(browser, base, citizen.username)
    browser.get(base + "/")
    _css(browser, "#q").send_keys("chung thuc ban sao cua cccd\n")
    _wait(browser, _page_has("Tìm thấy"))
    browser.get(base + "/thu-tuc/?q=chung+thcu+ban+sao")  # a transposition
    _wait(browser, _page_has("Chứng thực bản sao từ bản chính"))
    shot("search-typo")
    _click_text(browser, "a", "Chứng thực bản sao từ bản chính")
    _wait(browser, _page_has("Nộp ở đâu"))
    # The procedure page suggests the desk of the address's ward (Tân Phú → Bình Phước).
    assert "Gợi ý theo địa chỉ của bạn" in browser.page_source
    shot("desks-suggested")
    _click_text(browser, "button", "Nộp hồ sơ trực tuyến")
    _wait(browser, _page_has("Nơi nộp hồ sơ và thông tin liên hệ"))
    radios = browser.find_elements("css selector", "input[name=agency]")
    assert radios and not any(r.is_selected() for r in radios)  # no preset office
    _css(browser, "#id_phone").send_keys("0912345678")
    _click_text(browser, "button", "Lưu và tiếp tục")
    _wait(browser, _page_has("Vui lòng kiểm tra lại thông tin"))
    shot("office-required")
    # Search the desk by name (the search keeps what was typed), choose it, continue.
    _css(browser, "#id_phone").clear()
    _css(browser, "#id_phone").send_keys("0912345678")
    search = _css(browser, "#desk-search")
    search.clear()
    search.send_keys("long khanh")
    _click_text(browser, "button", "Tìm nơi nộp")
    _wait(browser, _page_has("1 nơi khớp"))
    assert _css(browser, "#id_phone").get_attribute("value") == "0912345678"
    assert "Vui lòng kiểm tra lại thông tin" not in browser.page_source
    _css(browser, "input[name=agency][value='000.03.50.H19']").click()
    _click_text(browser, "button", "Lưu và tiếp tục")
    _wait(browser, lambda d: "/to-khai/" in d.current_url)
    # The requester step holds the account's name and ID number.
    assert _css(browser, "#id_ho_ten").get_attribute("value") == "Trần Thị Lan"
    assert _css(browser, "#id_so_dinh_danh").get_attribute("value") == citizen.id_number
    shot("requester-prefilled")
