"""/mot-cua/chuyen-ho-so/: the province admin moves the open dossiers of an abolished agency's
desk to its successor (the 2025 reform; ``dossiers.services.transfer``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tinhso.backoffice.views import _nav_context, official_required
from tinhso.core.errors import DomainError
from tinhso.dossiers.services.transfer import abolished_desks, dossiers_transfer
from tinhso.portal.errors import error_message


@official_required
def transfer_page(request: HttpRequest) -> HttpResponse:
    if not request.user.is_province_admin:  # type: ignore[union-attr]
        raise DjangoPermissionDenied("province admins only")
    desks = abolished_desks()
    if request.method == "POST":
        by_code = {a.code: (a, successors) for a, _n, successors in desks}
        chosen = by_code.get(request.POST.get("tu", ""))
        if chosen is None:
            messages.error(request, _("Cơ quan này không còn hồ sơ cần chuyển."))
            return redirect("backoffice:transfer")
        agency, successors = chosen
        to = next((s for s in successors if s.code == request.POST.get("den", "")), None)
        try:
            report = dossiers_transfer(acting_user=request.user, from_agency=agency,
                                       to_agency=to)
        except DomainError as exc:
            messages.error(request, f"{error_message(exc)} ({exc.code})")
        else:
            messages.success(request, _("Đã chuyển %(n)d hồ sơ từ %(from)s sang %(to)s.") % {
                "n": len(report.moved), "from": report.from_agency, "to": report.to_agency})
            if report.skipped:
                messages.warning(request, _("Chưa chuyển %(n)d hồ sơ vì cơ quan nhận không "
                                            "giải quyết thủ tục của hồ sơ.") % {
                                     "n": len(report.skipped)})
        return redirect("backoffice:transfer")
    return render(request, "backoffice/transfer.html", {
        **_nav_context(request, None), "desks": desks})
