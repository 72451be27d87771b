"""The data the API fuzzer finds (tests/security/test_api_fuzz.py): users with tokens, and
dossiers in every stage of their life, so that generated requests reach real records.

Dossiers are seeded in each state an operation acts on — submitted, received, being processed,
waiting for a supplement, waiting for payment, paid, approved, returned — with a feedback item
and the requested and paid payments. Their codes and ids are handed to schemathesis as
dictionaries bound to the path parameters (``fuzz_config``), so that about two in three
generated values are real records and the rest stay random.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests import factories

# The share of generated path values taken from the seeded records (the rest are random).
REAL_SHARE = 0.7
# Path parameters bound to seeded values: (operations' path regex, parameter, dictionary).
BINDINGS = (
    (r"^/api/v1/dossiers/\{code\}", "code", "dossier-codes"),
    (r"^/api/v1/feedback/\{code\}", "code", "feedback-codes"),
    (r"^/api/v1/procedures/\{code\}", "code", "procedure-codes"),
    (r"^/api/v1/payments/fees/\{procedure_code\}", "procedure_code", "procedure-codes"),
    (r"^/api/v1/payments/\{payment_id\}", "payment_id", "payment-ids"),
    (r"^/api/v1/payments/settlements/\{agency_code\}", "agency_code", "agency-codes"),
)


@dataclass
class World:
    tokens: dict[str, str]
    values: dict[str, list[Any]] = field(default_factory=dict)


def seed() -> World:
    """One user per role with a bearer token, and dossiers in every state for them to find."""
    from tinhso.accounts.services import api_token_create
    from tinhso.dossiers import services as ds
    from tinhso.feedback.services import feedback_submit
    from tinhso.payments.services import dossier_request_payment, payment_confirm

    province = factories.make_province()
    agency = factories.make_agency(unit=province, code="000.00.10.H10", name="Sở Tư pháp")
    procedure = factories.make_procedure(agencies=[agency], code="1.000001", fee=50000)
    procedure.components.update(required=False)  # no file needed to submit
    citizen = factories.make_citizen(username="fuzz-citizen")
    specialist = factories.make_official(agency, "receiver", "specialist",
                                         username="fuzz-specialist")
    admin = factories.make_official(agency, "province_admin", username="fuzz-admin")
    leader = factories.make_official(agency, "leader", username="fuzz-leader")

    def submitted() -> Any:
        return ds.dossier_submit_online(
            acting_user=citizen, procedure_code=procedure.code, agency_code=agency.code,
            form_data={"ho_ten": "Nguyễn Văn An"}, files=[])  # no file: nothing under MEDIA_ROOT

    def received() -> Any:
        return ds.dossier_receive(acting_user=specialist, dossier=submitted())

    def processed() -> Any:  # the specialist's step done: at the leader's step
        return ds.dossier_forward(acting_user=specialist, dossier=received())

    def approved() -> Any:
        return ds.dossier_approve(acting_user=leader, dossier=processed())

    dossiers = [submitted(), received(), processed(), approved(),
                ds.dossier_return_result(acting_user=specialist, dossier=approved()),
                ds.dossier_request_supplement(acting_user=specialist, dossier=received(),
                                              reason="Thiếu bản sao giấy khai sinh")]
    waiting = received()
    requested = dossier_request_payment(acting_user=specialist, dossier=waiting)
    paid_dossier = received()
    paid = payment_confirm(acting_user=specialist, online=False, amount=50000,
                           payment=dossier_request_payment(acting_user=specialist,
                                                           dossier=paid_dossier))
    dossiers += [waiting, paid_dossier]
    feedback = feedback_submit(acting_user=citizen, title="Chậm trả kết quả",
                               content="Hồ sơ của tôi quá hạn mà chưa có kết quả.",
                               agency_code=agency.code, dossier_code=dossiers[1].code)
    tokens = {}
    for role, user in (("citizen", citizen), ("specialist", specialist), ("admin", admin)):
        _, raw = api_token_create(acting_user=admin, user=user, name=f"fuzz {role}")
        tokens[role] = raw
    return World(tokens=tokens, values={
        "dossier-codes": [d.code for d in dossiers],
        "feedback-codes": [feedback.code],
        "procedure-codes": [procedure.code],
        "payment-ids": [requested.pk, paid.pk],
        "agency-codes": [agency.code],
    })


def fuzz_config(base: Path, world: World, out: Path) -> Path:
    """``base`` (the static settings) with the seeded values bound to the path parameters."""
    lines = [base.read_text(encoding="utf-8"), "", "# Added for this run (fuzz_world.py)."]
    for regex, parameter, dictionary in BINDINGS:
        lines += ["", "[[operations]]", f"include-path-regex = {json.dumps(regex)}",
                  f'parameters = {{ "path.{parameter}" = {{ dictionary = "{dictionary}", '
                  f"probability = {REAL_SHARE} }} }}"]
    for name, values in world.values.items():
        lines += ["", f"[dictionaries.{name}]", f"values = {json.dumps(values)}"]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out
