"""Second factor for officials who sign in with a password (ASVS V2.8): TOTP (RFC 6238) with
an authenticator app, plus one-time recovery codes.

* Who: every official who enrolled; officials holding a role of ``TINHSO_MFA_REQUIRED_ROLES``
  (production default: leaders and admins) must enrol before their first session. Sign-in
  through the national identity provider (OIDC) does not pass here: that provider carries its
  own second factor.
* Secrets: the TOTP secret is encrypted with AES-256-GCM under a key derived from
  ``SECRET_KEY`` (HKDF), bound to the user's id; recovery codes (10 × 10 base-32 characters,
  50 bits each) are stored as SHA-256 only and shown once.
* Replay: a code's time step must be later than the last accepted one.
* Guessing: wrong codes count in the same per-account lockout as wrong passwords
  (``core/ratelimit.login_account_limit``), in the view.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time

import pyotp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tinhso.accounts.models import AccountKind, RecoveryCode, TotpDevice, User
from tinhso.accounts.services import audit_log_write
from tinhso.core.errors import Conflict, ValidationFailed

ISSUER = "tinhso"
RECOVERY_CODES = 10
STEP = 30


def required_for(user: User) -> bool:
    """Must this account use a second factor when it signs in with a password?"""
    if user.kind != AccountKind.OFFICIAL:
        return False
    if user.mfa_enrol_required or has_device(user):
        return True
    return bool(user.role_set.intersection(settings.TINHSO_MFA_REQUIRED_ROLES)
                or (user.is_superuser and settings.TINHSO_MFA_REQUIRED_ROLES))


def has_device(user: User) -> bool:
    return TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists()


def _key() -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"tinhso-totp-secret")
    return hkdf.derive(settings.SECRET_KEY.encode("utf-8"))


def _seal(user_id: int, secret: str) -> bytes:
    nonce = secrets.token_bytes(12)
    return nonce + AESGCM(_key()).encrypt(nonce, secret.encode("ascii"), str(user_id).encode())


def _open(user_id: int, stored: bytes | memoryview) -> str:
    sealed = bytes(stored)  # PostgreSQL hands a memoryview back
    return AESGCM(_key()).decrypt(sealed[:12], sealed[12:], str(user_id).encode()).decode("ascii")


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().upper().encode("ascii")).hexdigest()


def _new_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(7)).decode("ascii")[:10]  # 50 bits
    return f"{raw[:5]}-{raw[5:]}"


@transaction.atomic
def enrol_start(user: User) -> tuple[str, str]:
    """A new (unconfirmed) secret for ``user``; return (secret, otpauth:// URI for the QR)."""
    if has_device(user):
        raise Conflict("MFA_ALREADY_ENROLLED", "Tài khoản đã đăng ký ứng dụng xác thực.",
                       "This account already has an authenticator app.")
    pending = TotpDevice.objects.filter(user=user, confirmed_at__isnull=True).first()
    if pending is not None:  # a reload of the page must not invalidate the scanned QR code
        secret = _open(user.pk, pending.secret_encrypted)
    else:
        secret = pyotp.random_base32()
        TotpDevice.objects.create(user=user, secret_encrypted=_seal(user.pk, secret))
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
    return secret, uri


def _bad_code() -> ValidationFailed:
    return ValidationFailed("MFA_CODE_INVALID", "Mã xác thực không đúng hoặc đã hết hạn.",
                            "The verification code is wrong or has expired.",
                            {"field": "code"})


def _accept_totp(device: TotpDevice, code: str, at: float) -> bool:
    """Accept ``code`` for the current step or one step either side (clock drift), never a
    step already used; record the step."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(_open(device.user_id, device.secret_encrypted))
    now_step = int(at // STEP)
    for step in (now_step - 1, now_step, now_step + 1):
        if step > device.last_step and secrets.compare_digest(totp.at(step * STEP), code):
            # Conditional update: two requests racing with one code, one wins.
            won = TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(
                last_step=step)
            return bool(won)
    return False


@transaction.atomic
def enrol_confirm(user: User, code: str, *, at: float | None = None) -> list[str]:
    """Confirm the pending secret with a first code; return the recovery codes (shown once)."""
    device = TotpDevice.objects.select_for_update().filter(user=user).first()
    if device is None or device.confirmed_at is not None:
        raise Conflict("MFA_NOT_PENDING", "Không có đăng ký ứng dụng xác thực đang chờ xác nhận.",
                       "No authenticator enrolment is waiting for confirmation.")
    if not _accept_totp(device, code, time.time() if at is None else at):
        raise _bad_code()
    TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
    if user.mfa_enrol_required:  # enrolled again after an administrator's reset
        User.objects.filter(pk=user.pk).update(mfa_enrol_required=False)
        user.mfa_enrol_required = False
    codes = [_new_code() for _ in range(RECOVERY_CODES)]
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=_hash_code(c))
                                      for c in codes])
    audit_log_write(actor=user, action="mfa_enrol", object_type="user", object_id=user.pk)
    return codes


@transaction.atomic
def verify(user: User, code: str, *, at: float | None = None) -> str:
    """Check a sign-in code: a TOTP code, or an unused recovery code (then spent).
    Return ``"totp"`` or ``"recovery"``; raise ``MFA_CODE_INVALID`` otherwise."""
    device = TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).first()
    if device is None:
        raise _bad_code()
    if _accept_totp(device, code, time.time() if at is None else at):
        return "totp"
    spent = RecoveryCode.objects.filter(user=user, code_hash=_hash_code(code),
                                        used_at__isnull=True).update(used_at=timezone.now())
    if spent:
        left = RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
        audit_log_write(actor=user, action="mfa_recovery_code_used", object_type="user",
                        object_id=user.pk, data={"left": left})
        return "recovery"
    raise _bad_code()


def can_reset(acting_user: User | None, user: User) -> bool:
    """Who may reset an official's second factor: a province admin (any official), or an agency
    admin for an official of their own agency who holds no province-wide role (else an agency
    admin could strip a province admin's second factor). Never one's own: a stolen session
    must not be able to remove the factor that guards the next sign-in."""
    from tinhso.accounts.models import Role
    from tinhso.accounts.permissions import can_manage_user, is_province_admin

    if acting_user is None or acting_user.pk == user.pk or user.kind != AccountKind.OFFICIAL:
        return False
    if is_province_admin(acting_user) or (acting_user.is_superuser and acting_user.is_active):
        return True
    if user.is_superuser or user.has_role(Role.PROVINCE_ADMIN, Role.IOC_VIEWER):
        return False
    return can_manage_user(acting_user, user)


@transaction.atomic
def reset(*, acting_user: User, user: User, via: str = "api") -> None:
    """Remove an official's second factor (lost phone, new phone): their authenticator and
    recovery codes are deleted and they must enrol again before their next session, whatever
    their roles (``mfa_enrol_required``). Audited (``mfa_reset``). See ``can_reset``."""
    from tinhso.core.errors import PermissionDenied

    if not can_reset(acting_user, user):
        raise PermissionDenied({"user": user.pk})
    had_device = has_device(user)
    TotpDevice.objects.filter(user=user).delete()
    spent = RecoveryCode.objects.filter(user=user).delete()[0]
    # Every open session of the official ends too (a lost phone may travel with an unlocked
    # browser); the acting administrator's own sessions are untouched.
    User.objects.filter(pk=user.pk).update(mfa_enrol_required=True,
                                           session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["mfa_enrol_required", "session_epoch"])
    audit_log_write(actor=acting_user, action="mfa_reset", object_type="user", object_id=user.pk,
                    data={"had_device": had_device, "recovery_codes_removed": spent,
                          "agency": user.agency.code if user.agency else None, "via": via})
