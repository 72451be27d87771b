"""Browser and gateway endpoints under /thanh-toan/: start a payment, the return page, the IPN.

Plain Django views, not ninja: the gateway calls the IPN without authentication or CSRF token
(its signature is the authentication), and the return page is HTML for the citizen.
"""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tinhso.core.errors import DomainError
from tinhso.payments import conf, selectors, services, vnpay
from tinhso.payments.models import AttemptStatus

logger = logging.getLogger(__name__)


def _client_ip(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR") or "127.0.0.1")


@login_required
@require_POST
def vnpay_start(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The portal's "Thanh toán trực tuyến" button: open an attempt and go to the gateway."""
    locale = "en" if request.POST.get("locale") == "en" else "vn"
    try:
        payment = selectors.payment_get_for_user(request.user, payment_id)  # type: ignore[arg-type]
        started = services.payment_vnpay_start(acting_user=request.user,  # type: ignore[arg-type]
                                               payment=payment, ip_addr=_client_ip(request),
                                               locale=locale)
    except DomainError as exc:
        return render(request, "payments/error.html", {"error": exc}, status=exc.status)
    return redirect(started.payment_url)


@never_cache
@require_GET
def vnpay_return(request: HttpRequest) -> HttpResponse:
    """Where the gateway sends the citizen back. Shows the result; changes nothing.

    Only the IPN confirms a payment: the browser's redirect can be replayed, dropped or forged
    with an old signed query, so while the IPN has not arrived the page says "đang xác nhận".
    """
    params = request.GET.dict()
    if not vnpay.verify(params, conf.hash_secret()):
        return render(request, "payments/return.html", {"state": "invalid"}, status=400)
    attempt = selectors.attempt_by_txn_ref(params.get("vnp_TxnRef", ""))
    if attempt is None:
        return render(request, "payments/return.html", {"state": "unknown"}, status=404)
    gateway_success = vnpay.is_success(params)
    if attempt.status == AttemptStatus.SUCCEEDED:
        state = "refund" if attempt.needs_refund else "paid"
    elif attempt.status == AttemptStatus.FAILED:
        state = "failed"
    else:
        state = "confirming" if gateway_success else "failed"
    code = attempt.response_code or params.get("vnp_ResponseCode", "99")
    return render(request, "payments/return.html", {
        "state": state,
        "attempt": attempt,
        "dossier": attempt.payment.dossier,
        "reason": vnpay.response_text(code),
        "response_code": code,
    })


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def vnpay_ipn(request: HttpRequest) -> JsonResponse:
    """Instant Payment Notification from the gateway (GET by VNPAY's convention).

    Always HTTP 200 with ``{"RspCode", "Message"}``: the gateway reads the code, not the status.
    """
    params = request.GET.dict() if request.method == "GET" else request.POST.dict()
    reply = services.payment_vnpay_ipn(params=params, remote_addr=_client_ip(request))
    logger.info("VNPAY IPN txn_ref=%r → %s", params.get("vnp_TxnRef"), reply["RspCode"])
    return JsonResponse(reply)
