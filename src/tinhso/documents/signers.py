"""Competent signers of certified copies (Decree 23/2015/NĐ-CP art. 5), per agency.

At a commune People's Committee only the chairman or a vice-chairman signs certified copies
(art. 5(2)); at a justice office the head or a deputy head (art. 5(1)); at a notary practice a
notary (art. 5(4)). An agency registers who holds those positions; ``require_competent`` is the
check ``certified_copy_issue`` makes. Province admins and the agency's own admins register
signers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tinhso.accounts.permissions import is_active_official, is_province_admin
from tinhso.accounts.services import audit_log_write
from tinhso.core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from tinhso.documents.models import CompetentSigner, SignerPosition
from tinhso.units.models import AgencyKind

# Positions an agency of each kind may register (art. 5): People's Committees sign through
# their chairman or vice-chairmen; other agencies (justice offices, notary practices) through
# their head, deputies or notaries.
COMMITTEE_POSITIONS = frozenset({SignerPosition.CHAIRMAN, SignerPosition.VICE_CHAIRMAN})
OTHER_POSITIONS = frozenset({SignerPosition.HEAD, SignerPosition.DEPUTY_HEAD,
                             SignerPosition.NOTARY})


def positions_for(agency: Any) -> frozenset[str]:
    return COMMITTEE_POSITIONS if agency.kind == AgencyKind.PEOPLES_COMMITTEE else OTHER_POSITIONS


def competent_position(user: Any, agency: Any, on: dt.date | None = None) -> str | None:
    """The position in which ``user`` may sign certified copies for ``agency`` on ``on``."""
    day = on or timezone.localdate()
    row = (CompetentSigner.objects
           .filter(agency=agency, user=user, valid_from__lte=day,
                   position__in=positions_for(agency))
           .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
           .order_by("position").values_list("position", flat=True).first())
    return row


def require_competent(user: Any, agency: Any) -> str | None:
    """Refuse an officer who is not a registered competent signer of the agency today.

    Returns the position (None when the check is switched off by
    TINHSO_CERTIFIED_COPY_SIGNERS_REQUIRED = False).
    """
    if not getattr(settings, "TINHSO_CERTIFIED_COPY_SIGNERS_REQUIRED", True):
        return None
    position = competent_position(user, agency)
    if position is None:
        allowed = sorted(positions_for(agency))
        labels = ", ".join(SignerPosition(p).label for p in allowed)
        raise DomainError(
            "CERTIFIER_NOT_COMPETENT",
            f"Người ký không có thẩm quyền ký chứng thực tại {agency.name}: chỉ {labels} đã "
            "được cơ quan đăng ký mới được ký (Nghị định 23/2015/NĐ-CP, Điều 5).",
            f"The officer may not sign certified copies for {agency.name}: only a registered "
            f"{' or '.join(allowed)} may (Decree 23/2015/NĐ-CP art. 5).",
            {"agency": agency.code, "allowed_positions": allowed}, status=403)
    return position


def _require_manager(acting_user: Any, agency: Any) -> None:
    if is_province_admin(acting_user):
        return
    if is_active_official(acting_user) and acting_user.has_role("agency_admin") and \
            acting_user.agency_id == agency.pk:
        return
    raise PermissionDenied({"required_roles": ["province_admin", "agency_admin"]})


@transaction.atomic
def competent_signer_add(*, acting_user: Any, agency: Any, user: Any, position: str,
                         valid_from: dt.date | None = None) -> CompetentSigner:
    """Register ``user`` as a competent signer of ``agency`` in ``position``."""
    _require_manager(acting_user, agency)
    if position not in positions_for(agency):
        raise ValidationFailed(
            "SIGNER_POSITION_INVALID",
            "Chức vụ này không có thẩm quyền ký chứng thực tại loại cơ quan này.",
            "This position may not sign certified copies at this kind of agency.",
            {"position": position, "allowed": sorted(positions_for(agency))})
    if not is_active_official(user) or user.agency_id != agency.pk:
        raise ValidationFailed(
            "SIGNER_NOT_OF_AGENCY", "Người ký phải là cán bộ đang làm việc tại cơ quan.",
            "The signer must be an active official of the agency.", {"user": user.pk})
    day = valid_from or timezone.localdate()
    current = CompetentSigner.objects.select_for_update().filter(
        agency=agency, user=user).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
    if current.exists():
        raise Conflict("SIGNER_ALREADY_REGISTERED",
                       "Cán bộ này đã được đăng ký là người ký chứng thực.",
                       "This official is already a registered signer.", {"user": user.pk})
    try:
        with transaction.atomic():
            signer = CompetentSigner.objects.create(agency=agency, user=user, position=position,
                                                    valid_from=day, created_by=acting_user)
    except IntegrityError:
        # A concurrent add of the same official won (the partial unique constraint).
        raise Conflict("SIGNER_ALREADY_REGISTERED",
                       "Cán bộ này đã được đăng ký là người ký chứng thực.",
                       "This official is already a registered signer.",
                       {"user": user.pk}) from None
    audit_log_write(actor=acting_user, action="competent_signer_add",
                    object_type="competent_signer", object_id=signer.pk,
                    data={"agency": agency.code, "user": user.pk, "position": position})
    return signer


@transaction.atomic
def competent_signer_end(*, acting_user: Any, signer: CompetentSigner,
                         valid_to: dt.date | None = None) -> CompetentSigner:
    """End a registration (left office, re-assigned): the row stays for the record."""
    signer = CompetentSigner.objects.select_for_update().select_related("agency").get(
        pk=signer.pk)
    _require_manager(acting_user, signer.agency)
    signer.valid_to = valid_to or timezone.localdate()
    signer.save(update_fields=["valid_to"])
    audit_log_write(actor=acting_user, action="competent_signer_end",
                    object_type="competent_signer", object_id=signer.pk,
                    data={"valid_to": signer.valid_to.isoformat()})
    return signer
