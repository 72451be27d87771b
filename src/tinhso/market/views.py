"""Web pages of the marketplace under /cho-nong-san/.

Public: the listing search (without diacritics), a listing, a seller, supply and demand posts,
the price bulletin with its history chart, listing photos, the gateway's browser return.
Signed in: placing an order, my orders (as buyer or seller), an order with its allowed actions
and online payment. Market officers: /cho-nong-san/quan-ly/ (verification queue, reports, price
entry and CSV import).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tinhso.core.errors import DomainError
from tinhso.market import orders, payments, selectors, services
from tinhso.market.charts import price_chart
from tinhso.market.models import (
    COMMODITY_UNITS,
    MARKETS,
    CertificateKind,
    Commodity,
    Crop,
    MarketPaymentStatus,
    PaymentMethod,
    PostKind,
    SellerKind,
)
from tinhso.market.order_list import BadCursor
from tinhso.market.permissions import is_market_officer
from tinhso.payments import conf, vnpay

PER_PAGE = 24


def _login(request: HttpRequest) -> HttpResponseRedirect:
    return redirect(f"{reverse('portal:login')}?{urlencode({'next': request.get_full_path()})}")


def _date(value: str | None) -> Any:
    """An ``<input type="date">`` value (yyyy-mm-dd); anything else is passed on as text for
    the service to refuse with its own error."""
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return value or ""


def _int(value: str | None) -> int | None:
    try:
        number = int(value or "")
    except ValueError:
        return None
    return number if 0 < number < 2**62 else None


# --- public -----------------------------------------------------------------------------------

@require_GET
def listing_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    crop = request.GET.get("cay", "")
    crop = crop if crop in Crop.values else ""
    # Counted from the published-listing cells, not by a count of every listing (0030).
    listings = selectors.CountedListings(query=query, crop=crop or None)
    # Sliced and counted like a queryset, which is all Paginator uses (the stubs want more).
    page = Paginator(cast(Any, listings), PER_PAGE).get_page(request.GET.get("page"))
    keep = urlencode({k: v for k, v in (("q", query), ("cay", crop)) if v})
    capped = bool(query.strip()) and listings.count() >= selectors.SEARCH_COUNT_CAP
    return render(request, "market/list.html", {
        "page": page, "query": query, "capped": capped, "crop": crop, "crops": Crop.choices,
        "keep": keep, "nav": "market"})


@require_GET
def listing_detail(request: HttpRequest, listing_id: int) -> HttpResponse:
    try:
        listing = selectors.listing_public(listing_id)
    except DomainError:
        raise Http404("listing") from None
    seller = listing.seller
    return render(request, "market/listing.html", {
        "l": listing, "seller": seller, "certificates": selectors.certificates_public(seller),
        "reviews": selectors.reviews_public(listing=listing)[:20],
        "rating": selectors.rating_summary(seller),
        "journey": selectors.lot_journey(gtin=listing.gtin, lot=listing.lot),
        "methods": PaymentMethod.choices, "nav": "market"})


@require_GET
def seller_detail(request: HttpRequest, seller_id: int) -> HttpResponse:
    try:
        seller = selectors.seller_public(seller_id)
    except DomainError:
        raise Http404("seller") from None
    page = Paginator(selectors.listings_public(seller_id=seller.pk), PER_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "market/seller.html", {
        "seller": seller, "certificates": selectors.certificates_public(seller),
        "rating": selectors.rating_summary(seller), "page": page, "nav": "market"})


@require_GET
def photo(request: HttpRequest, photo_id: int) -> FileResponse:
    from tinhso.core import blobs

    found = selectors.photo_public(photo_id)
    if found is None:
        raise Http404("photo")
    try:
        handle = blobs.open_verified(found.file, sha256=found.sha256, size=found.size)
    except blobs.StoredFileUnavailable:
        raise Http404("photo") from None
    response = FileResponse(handle, content_type=found.content_type)
    response["Cache-Control"] = "public, max-age=86400, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def post_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("loai", "")
    kind = kind if kind in PostKind.values else ""
    query = request.GET.get("q", "")[:200]
    page = Paginator(selectors.posts_public(query=query, kind=kind or None), PER_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "market/posts.html", {
        "page": page, "kind": kind, "query": query, "kinds": PostKind.choices,
        "crops": Crop.choices, "nav": "market",
        "communes": selectors.commune_choices() if request.user.is_authenticated else []})


@require_POST
def post_create(request: HttpRequest) -> HttpResponse:
    """The supply/demand form of /cho-nong-san/cung-cau/ (signed in)."""
    if not request.user.is_authenticated:
        return _login(request)
    data = request.POST
    try:
        services.post_create(
            acting_user=request.user, kind=data.get("kind", ""), crop=data.get("crop", ""),
            title=data.get("title", ""), body=data.get("body", ""),
            quantity=data.get("quantity", ""), commune_code=data.get("commune_code") or None,
            contact_phone=data.get("contact_phone", ""), days=_int(data.get("days")) or 30)
        messages.success(request, "Đã đăng tin.")
    except DomainError as exc:
        messages.error(request, exc.message_vi)
    return redirect("market:posts")


@require_GET
def bulletin(request: HttpRequest) -> HttpResponse:
    day, quotes = selectors.latest_bulletin()
    charts = [{"commodity": label, "unit": COMMODITY_UNITS[code],
               "chart": price_chart(selectors.price_history(code), MARKETS)}
              for code, label in Commodity.choices]
    return render(request, "market/bulletin.html", {
        "day": day, "quotes": quotes, "charts": charts, "nav": "market"})


# --- orders (signed in) -----------------------------------------------------------------------

@require_POST
def order_place(request: HttpRequest, listing_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    try:
        order = orders.order_place(
            acting_user=request.user, listing_id=listing_id,
            quantity=_int(request.POST.get("quantity")) or 0,
            shipping_address=request.POST.get("shipping_address", ""),
            buyer_phone=request.POST.get("buyer_phone", ""),
            payment_method=request.POST.get("payment_method", PaymentMethod.COD),
            note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message_vi)
        return redirect("market:listing", listing_id)
    messages.success(request, f"Đã đặt đơn hàng {order.code}.")
    return redirect("market:order", order.code)


def my_orders(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    try:
        page = selectors.order_page(request.user, after=request.GET.get("after"),
                                    before=request.GET.get("before"), per_page=PER_PAGE)
    except BadCursor as exc:
        raise Http404("cursor") from exc
    return render(request, "market/orders.html", {"page": page, "nav": "market"})


def order_detail(request: HttpRequest, code: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    try:
        order = selectors.order_get_for_user(request.user, code)
    except DomainError:
        raise Http404("order") from None
    actions = orders.allowed_actions(request.user, order)
    labels = {t.action: t.label for t in orders.LIFECYCLE if t.action in actions}
    can_pay = (order.buyer_id == request.user.pk and order.payment_method == PaymentMethod.VNPAY
               and order.paid_at is None and order.status == "placed")
    can_review = (order.buyer_id == request.user.pk and order.status in ("delivered", "completed")
                  and not hasattr(order, "review"))
    from tinhso.market.refunds import REFUNDABLE_STATUSES, order_refunds

    can_refund = (is_market_officer(request.user) and order.paid_at is not None
                  and order.status in REFUNDABLE_STATUSES)
    return render(request, "market/order.html", {
        "o": order, "events": selectors.order_events(request.user, order),
        "actions": [(a, labels[a]) for a in actions], "can_pay": can_pay,
        "can_review": can_review, "can_refund": can_refund,
        "refunds": order_refunds(order), "nav": "market"})


@require_POST
def order_action(request: HttpRequest, code: str, action: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    try:
        order = selectors.order_get_for_user(request.user, code)
        if action == "review":
            services.review_add(acting_user=request.user, order=order,
                                rating=_int(request.POST.get("rating")) or 0,
                                comment=request.POST.get("comment", ""))
        elif action == "hoan-tien":
            from tinhso.market.refunds import market_refund

            amount = request.POST.get("amount", "").strip()
            market_refund(acting_user=request.user, order=order,
                          reason=request.POST.get("reason", ""),
                          amount=(_int(amount) or 0) if amount else None)
        elif action == "pay":
            started = payments.market_vnpay_start(
                acting_user=request.user, order=order,
                ip_addr=str(request.META.get("REMOTE_ADDR") or ""))
            return redirect(started.payment_url)
        else:
            orders.order_act(acting_user=request.user, order=order, action=action,
                             reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message_vi)
    else:
        messages.success(request, "Đã thực hiện.")
    return redirect("market:order", code)


@never_cache
@require_GET
def vnpay_return(request: HttpRequest) -> HttpResponse:
    """The gateway sends the buyer back here; the page shows the state, the IPN decides."""
    params = request.GET.dict()
    if not vnpay.verify(params, conf.hash_secret()):
        return render(request, "market/return.html", {"state": "invalid"}, status=400)
    payment = selectors.payment_by_txn_ref(params.get("vnp_TxnRef", ""))
    if payment is None:
        return render(request, "market/return.html", {"state": "unknown"}, status=404)
    if payment.status == MarketPaymentStatus.SUCCEEDED:
        state = "paid"
    elif payment.status == MarketPaymentStatus.FAILED:
        state = "failed"
    else:
        state = "confirming" if vnpay.is_success(params) else "failed"
    return render(request, "market/return.html", {
        "state": state, "code": payment.order.code,
        "reason": vnpay.response_text(payment.response_code
                                      or params.get("vnp_ResponseCode", "99"))})


# --- market officers --------------------------------------------------------------------------

def _officer_or_none(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return _login(request)
    if not is_market_officer(request.user):
        raise Http404("not a market officer")
    return None


def manage(request: HttpRequest) -> HttpResponse:
    refused = _officer_or_none(request)
    if refused is not None:
        return refused
    return render(request, "market/manage.html", {
        "pending": selectors.sellers_pending(request.user)[:100],
        "reports": selectors.reports_open(request.user)[:100],
        "markets": MARKETS.items(), "commodities": Commodity.choices,
        "today": timezone.localdate(), "nav": "market"})


@require_POST
def manage_action(request: HttpRequest, what: str, item_id: int) -> HttpResponse:
    refused = _officer_or_none(request)
    if refused is not None:
        return refused
    user = request.user
    try:
        if what == "xac-minh":
            seller = selectors.seller_get_for_user(user, item_id)
            services.seller_verify(acting_user=user, seller=seller,
                                   note=request.POST.get("note", ""))
        elif what == "phan-anh":
            report = selectors.report_get_for_user(user, item_id)
            services.report_review(acting_user=user, report=report,
                                   uphold=request.POST.get("decision") == "uphold",
                                   resolution=request.POST.get("resolution", ""))
        else:
            raise Http404("action")
    except DomainError as exc:
        messages.error(request, exc.message_vi)
    else:
        messages.success(request, "Đã thực hiện.")
    return redirect("market:manage")


@require_http_methods(["POST"])
def manage_prices(request: HttpRequest) -> HttpResponse:
    refused = _officer_or_none(request)
    if refused is not None:
        return refused
    try:
        upload = request.FILES.get("csv")
        if upload is not None:
            raw = upload.read(600_000)
            try:
                content = raw.decode("utf-8")
            except UnicodeDecodeError:
                content = ""
            count = services.price_import_csv(acting_user=request.user, content=content)
            messages.success(request, f"Đã nhập {count} dòng giá.")
        else:
            try:
                day: Any = dt.date.fromisoformat(request.POST.get("day", ""))
            except ValueError:
                day = None
            services.price_enter(acting_user=request.user, day=day,
                                 market=request.POST.get("market", ""),
                                 commodity=request.POST.get("commodity", ""),
                                 price_vnd=_int(request.POST.get("price_vnd")) or 0)
            messages.success(request, "Đã lưu giá.")
    except DomainError as exc:
        messages.error(request, exc.message_vi)
    return redirect("market:manage")


# --- the IOC page (mounted at /ioc/cho-nong-san/ by the ioc app) --------------------------------

def ioc_figures(request: HttpRequest) -> HttpResponse:
    from django.core.exceptions import PermissionDenied as DjangoPermissionDenied

    from tinhso.accounts.permissions import is_active_official

    if not request.user.is_authenticated:
        return _login(request)
    if not is_active_official(request.user):
        raise DjangoPermissionDenied("Chỉ cán bộ được xem bảng điều hành IOC.")
    figures = selectors.market_figures()
    labels = dict(Crop.choices)
    for row in figures["rows"]:
        row["crop_label"] = labels.get(row["crop"], "—")
    crops = [{"label": labels.get(code, code), **values}
             for code, values in sorted(figures["by_crop"].items())]
    return render(request, "market/ioc_market.html", {"f": figures, "crops": crops})


# --- the seller's own stall (/cho-nong-san/ban-hang/) ---------------------------------------------

def stall(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    seller = selectors.my_seller(request.user)
    return render(request, "market/stall.html", {
        "seller": seller, "listings": selectors.my_listings(request.user)[:200]
        if seller else [], "communes": selectors.commune_choices() if seller is None else [],
        "kinds": SellerKind.choices, "crops": Crop.choices, "nav": "market",
        "certificate_kinds": CertificateKind.choices,
        "photo_max_mib": int(settings.TINHSO_MARKET_PHOTO_MAX_BYTES) // (1024 * 1024)})


@require_POST
def stall_action(request: HttpRequest, action: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login(request)
    user, post = request.user, request.POST
    try:
        if action == "dang-ky":
            services.seller_register(
                acting_user=user, name=post.get("name", ""), kind=post.get("kind", ""),
                commune_code=post.get("commune_code", ""),
                registration_number=post.get("registration_number", ""),
                address=post.get("address", ""), phone_number=post.get("phone", ""))
            messages.success(request, "Đã đăng ký. Sở Nông nghiệp sẽ xác minh trước khi bạn "
                             "được đăng bán.")
        elif action == "them":
            services.listing_create(
                acting_user=user, title=post.get("title", ""), crop=post.get("crop", ""),
                unit=post.get("unit", ""), price_vnd=_int(post.get("price_vnd")) or 0,
                stock=_int(post.get("stock")) or 0, description=post.get("description", ""),
                gtin=post.get("gtin", ""), lot=post.get("lot", ""))
            messages.success(request, "Đã thêm sản phẩm (bản nháp).")
        elif action == "chung-nhan":
            services.certificate_add(
                acting_user=user, kind=post.get("kind", ""),
                decision_number=post.get("decision_number", ""),
                issued_on=_date(post.get("issued_on")), expires_on=_date(post.get("expires_on")),
                stars=_int(post.get("stars")) if post.get("stars") else None,
                product=post.get("product", ""), issued_by=post.get("issued_by", ""))
            messages.success(request, "Đã gửi chứng nhận. Sở Nông nghiệp sẽ xác minh trước khi "
                             "chứng nhận được hiển thị.")
        elif action == "anh":
            upload = request.FILES.get("file")
            if upload is None:
                messages.error(request, "Hãy chọn một ảnh JPEG hoặc PNG.")
                return redirect("market:stall")
            # Read at most one byte over the limit: the service refuses anything bigger.
            content = upload.read(int(settings.TINHSO_MARKET_PHOTO_MAX_BYTES) + 1)
            services.listing_add_photo(acting_user=user,
                                       listing_id=_int(post.get("listing_id")) or 0,
                                       content=content, name=upload.name or "")
            messages.success(request, "Đã thêm ảnh sản phẩm.")
        elif action in ("dang-ban", "ngung-ban"):
            listing_id = _int(post.get("listing_id")) or 0
            if action == "dang-ban":
                services.listing_publish(acting_user=user, listing_id=listing_id)
            else:
                services.listing_withdraw(acting_user=user, listing_id=listing_id)
            messages.success(request, "Đã cập nhật sản phẩm.")
        else:
            raise Http404("action")
    except DomainError as exc:
        messages.error(request, exc.message_vi)
    return redirect("market:stall")
