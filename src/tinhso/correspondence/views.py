"""Back-office pages of correspondence (/van-ban/): both registers with search and exports,
drafting with versions and comments, approval and signing (phone-friendly), incoming
registration and handling, the IOC card. Officials only; every read goes through selectors."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from tinhso.accounts.permissions import is_active_official
from tinhso.core import blobs
from tinhso.core.errors import DomainError, NotFound
from tinhso.correspondence import exchange, exports, selectors
from tinhso.correspondence import services_in as inc
from tinhso.correspondence import services_out as out
from tinhso.correspondence.doctypes import DocType, retention_label
from tinhso.correspondence.models import OutState

OUT_ACTIONS = ("submit", "approve", "return", "sign", "seal", "release", "withdraw", "comment",
               "edit")
IN_ACTIONS = ("assign", "forward", "note", "complete", "reject", "scan")


def _guard(request: HttpRequest) -> HttpResponseRedirect | None:
    if not request.user.is_authenticated:
        return redirect(f"{reverse('portal:login')}?{urlencode({'next': request.get_full_path()})}")
    if not is_active_official(request.user):
        raise Http404
    return None


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def home(request: HttpRequest) -> HttpResponse:
    if (resp := _guard(request)) is not None:
        return resp
    return render(request, "correspondence/home.html", {
        "queue": selectors.work_queue(request.user), "nav": "correspondence",
        "open_in": selectors.incoming_register(request.user, state="open", limit=20).items,
    })


def outgoing_register(request: HttpRequest) -> HttpResponse:
    if (resp := _guard(request)) is not None:
        return resp
    q = request.GET.get("q", "")[:200]
    try:
        page = selectors.outgoing_register(
            request.user, query=q, date_from=_date(request.GET.get("tu")),
            date_to=_date(request.GET.get("den")), cursor=request.GET.get("sau"), limit=50)
    except DomainError:
        page = selectors.outgoing_register(request.user, query=q, limit=50)
    return render(request, "correspondence/out_register.html", {
        "page": page, "q": q, "nav": "correspondence", "retention": retention_label,
        "params": request.GET})


def incoming_register(request: HttpRequest) -> HttpResponse:
    if (resp := _guard(request)) is not None:
        return resp
    q = request.GET.get("q", "")[:200]
    state = request.GET.get("trang_thai", "")
    if state not in ("", "open", "overdue", "completed"):
        state = ""
    try:
        page = selectors.incoming_register(
            request.user, query=q, state=state, date_from=_date(request.GET.get("tu")),
            date_to=_date(request.GET.get("den")), cursor=request.GET.get("sau"), limit=50)
    except DomainError:
        page = selectors.incoming_register(request.user, query=q, limit=50)
    return render(request, "correspondence/in_register.html", {
        "page": page, "q": q, "state": state, "nav": "correspondence",
        "params": request.GET})


@require_http_methods(["GET", "POST"])
def outgoing_new(request: HttpRequest) -> HttpResponse:
    if (resp := _guard(request)) is not None:
        return resp
    error = None
    values = {"doc_type": "CV", "subject": "", "body": "", "recipients_text": ""}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in values}
        try:
            doc = out.outgoing_create(
                acting_user=request.user, doc_type=values["doc_type"],
                subject=values["subject"], body=values["body"],
                recipients_text=values["recipients_text"])
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, "Đã tạo dự thảo.")
            return redirect("correspondence:outgoing", doc.pk)
    return render(request, "correspondence/out_new.html", {
        "values": values, "error": error, "types": DocType.choices, "nav": "correspondence"},
        status=422 if error else 200)


def _out_actions(user: Any, doc: Any) -> list[str]:
    from tinhso.correspondence import permissions as perm

    acts = []
    if doc.state == OutState.DRAFT and doc.author_id == user.pk:
        acts.append("submit")
    if doc.state == OutState.PENDING_HEAD and doc.unit and doc.unit.head_id == user.pk:
        acts += ["approve", "return"]
    if doc.state == OutState.PENDING_LEADER and perm.is_leader(user, doc.agency_id):
        acts += ["sign", "return"]
    if doc.state == OutState.SIGNED and perm.is_clerk(user, doc.agency_id):
        acts.append("seal")
    if doc.state == OutState.ISSUED and perm.is_clerk(user, doc.agency_id):
        acts.append("release")
    if doc.state == OutState.RELEASED and (perm.is_clerk(user, doc.agency_id)
                                           or perm.is_leader(user, doc.agency_id)):
        acts.append("withdraw")
    return acts


def outgoing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if (resp := _guard(request)) is not None:
        return resp
    doc = _out(request, pk)
    return render(request, "correspondence/out_detail.html", {
        "doc": doc, "actions": _out_actions(request.user, doc),
        "may_edit": out._holder_may_edit(request.user, doc) and doc.state in (
            OutState.DRAFT, OutState.PENDING_HEAD, OutState.PENDING_LEADER),
        "versions": selectors.versions(doc, request.user),
        "events": selectors.outgoing_events(doc, request.user),
        "recipients": selectors.recipients(doc, request.user), "nav": "correspondence"})


def _out(request: HttpRequest, pk: int) -> Any:
    try:
        return selectors.outgoing_get(request.user, pk)
    except NotFound:
        raise Http404 from None


@require_POST
def outgoing_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if (resp := _guard(request)) is not None:
        return resp
    if action not in OUT_ACTIONS:
        raise Http404
    doc = _out(request, pk)
    user, post = request.user, request.POST
    note = post.get("note", "")
    try:
        if action == "comment":
            out.outgoing_comment(acting_user=user, document=doc, text=note)
        elif action == "edit":
            version = post.get("version", "")
            out.outgoing_edit(acting_user=user, document=doc, subject=post.get("subject", ""),
                              body=post.get("body", ""),
                              recipients_text=post.get("recipients_text", ""),
                              expected_version=int(version) if version.isdigit() else None)
        elif action == "submit":
            out.outgoing_submit(acting_user=user, document=doc, note=note)
        elif action == "approve":
            out.outgoing_approve(acting_user=user, document=doc, note=note)
        elif action == "return":
            out.outgoing_return(acting_user=user, document=doc, note=note)
        elif action == "sign":
            out.outgoing_sign(acting_user=user, document=doc,
                              signer_title=post.get("signer_title", ""),
                              authority=post.get("authority", ""))
        elif action == "seal":
            out.outgoing_seal(acting_user=user, document=doc)
        elif action == "release":
            codes = [c.strip() for c in post.get("agency_codes", "").replace(",", "\n").split()
                     if c.strip()]
            external = [tuple((line.split("|", 1) + [""])[:2]) for line in
                        post.get("external", "").splitlines() if line.strip()]
            exchange.outgoing_release(acting_user=user, document=doc, agency_codes=codes,
                                      external=external)  # type: ignore[arg-type]
        elif action == "withdraw":
            exchange.outgoing_withdraw(acting_user=user, document=doc, reason=note)
    except DomainError as exc:
        messages.error(request, f"{exc.message_vi} ({exc.code})")
    else:
        messages.success(request, "Đã thực hiện.")
    return redirect("correspondence:outgoing", doc.pk)


def outgoing_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    if (resp := _guard(request)) is not None:
        return resp
    doc = _out(request, pk)
    data = out.signed_pdf(doc) if doc.pdf_sha256 else out.draft_pdf(doc)
    response = HttpResponse(data, content_type="application/pdf")
    name = (doc.notation or f"du-thao-{doc.pk}").replace("/", "_")
    response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


@require_http_methods(["GET", "POST"])
def incoming_new(request: HttpRequest) -> HttpResponse:
    if (resp := _guard(request)) is not None:
        return resp
    error = None
    keys = ("sender_name", "number", "notation", "subject", "doc_type", "promulgated_on")
    values = {k: "" for k in keys}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in keys}
        try:
            doc = inc.incoming_register(
                acting_user=request.user, agency=getattr(request.user, "agency", None),
                source="paper",
                sender_name=values["sender_name"], number=values["number"],
                notation=values["notation"], subject=values["subject"],
                doc_type=values["doc_type"], promulgated_on=_date(values["promulgated_on"]))
            if request.FILES.get("scan"):
                from tinhso.correspondence.uploads import scan_attach

                scan_attach(acting_user=request.user, incoming=doc,
                            upload=request.FILES["scan"])
        except DomainError as exc:
            error = exc
        else:
            messages.success(request, f"Đã vào sổ văn bản đến số {doc.incoming_number}.")
            return redirect("correspondence:incoming", doc.pk)
    return render(request, "correspondence/in_new.html", {
        "values": values, "error": error, "types": DocType.choices, "nav": "correspondence"},
        status=422 if error else 200)


def _in(request: HttpRequest, pk: int) -> Any:
    try:
        return selectors.incoming_get(request.user, pk)
    except NotFound:
        raise Http404 from None


def incoming_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if (resp := _guard(request)) is not None:
        return resp
    doc = _in(request, pk)
    return render(request, "correspondence/in_detail.html", {
        "doc": doc, "events": selectors.incoming_events(doc, request.user),
        "files": selectors.files_of(request.user, incoming=doc),
        "units": selectors.units(request.user), "people": selectors.colleagues(request.user),
        "nav": "correspondence"})


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 18 else None


@require_POST
def incoming_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if (resp := _guard(request)) is not None:
        return resp
    if action not in IN_ACTIONS:
        raise Http404
    doc = _in(request, pk)
    user, post = request.user, request.POST
    note = post.get("note", "")
    try:
        unit = selectors.unit_get(user, _int(post.get("unit")))
        person = selectors.colleague_get(user, _int(post.get("handler")))
        if action == "assign":
            inc.incoming_assign(acting_user=user, incoming=doc, unit=unit, handler=person,
                                working_days=_int(post.get("working_days")) or 10, note=note)
        elif action == "forward":
            inc.incoming_forward(acting_user=user, incoming=doc, unit=unit, handler=person,
                                 note=note)
        elif action == "note":
            inc.incoming_note(acting_user=user, incoming=doc, note=note)
        elif action == "complete":
            inc.incoming_complete(acting_user=user, incoming=doc, note=note)
        elif action == "reject":
            inc.incoming_reject(acting_user=user, incoming=doc, reason=note)
        elif action == "scan" and request.FILES.get("scan"):
            from tinhso.correspondence.uploads import scan_attach

            scan_attach(acting_user=user, incoming=doc, upload=request.FILES["scan"])
    except DomainError as exc:
        messages.error(request, f"{exc.message_vi} ({exc.code})")
    else:
        messages.success(request, "Đã thực hiện.")
    return redirect("correspondence:incoming", doc.pk)


def file_download(request: HttpRequest, pk: int) -> HttpResponse:
    if (resp := _guard(request)) is not None:
        return resp
    try:
        row = selectors.file_get(request.user, pk)
    except NotFound:
        raise Http404 from None
    with blobs.open_verified(str(row.file.name), sha256=row.sha256, size=row.size) as handle:
        data = handle.read()
    response = HttpResponse(data, content_type=row.content_type)
    response["Content-Disposition"] = f'attachment; filename="file-{row.pk}"'
    return response


def export(request: HttpRequest, register: str, fmt: str) -> HttpResponse:
    if (resp := _guard(request)) is not None:
        return resp
    if register not in ("in", "out") or fmt not in ("csv", "xlsx", "pdf"):
        raise Http404
    data, ctype, name = exports.export(request.user, register=register, fmt=fmt,
                                       query=request.GET.get("q", "")[:200])
    response = HttpResponse(data, content_type=ctype)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def ioc_card(request: HttpRequest) -> HttpResponse:
    if (resp := _guard(request)) is not None:
        return resp
    rows = selectors.ioc_due_by_unit(request.user)
    totals = {k: sum(getattr(r, k) for r in rows) for k in ("open", "due_soon", "overdue")}
    return render(request, "correspondence/ioc.html", {"rows": rows, "totals": totals,
                                                       "nav": "correspondence"})
