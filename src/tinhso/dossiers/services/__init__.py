"""Every write to a dossier. Each service checks role, agency and state, and writes its event
in the same transaction. See docs/dossiers.md for the lifecycle."""

from tinhso.dossiers.services.applicant import dossier_rate, dossier_withdraw
from tinhso.dossiers.services.intake import (
    dossier_create_direct,
    dossier_receive,
    dossier_refuse,
    dossier_submit_online,
)
from tinhso.dossiers.services.processing import (
    dossier_apologize,
    dossier_approve,
    dossier_assign,
    dossier_forward,
    dossier_return_result,
    dossier_return_to_step,
    dossier_stop,
)
from tinhso.dossiers.services.supplements import dossier_request_supplement, dossier_supplement
from tinhso.payments.services import dossier_request_payment, payment_confirm

__all__ = [
    "dossier_apologize",
    "dossier_approve",
    "dossier_assign",
    "dossier_create_direct",
    "dossier_forward",
    "dossier_rate",
    "dossier_receive",
    "dossier_refuse",
    "dossier_request_payment",
    "dossier_request_supplement",
    "dossier_return_result",
    "dossier_return_to_step",
    "dossier_stop",
    "dossier_submit_online",
    "dossier_supplement",
    "dossier_withdraw",
    "payment_confirm",
]
