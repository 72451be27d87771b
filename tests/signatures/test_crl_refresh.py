"""The hourly job republishes a CRL before it lapses, once, even with two consumers."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from tinhso.signatures import services, tasks
from tinhso.signatures.models import CertificateAuthority


def test_only_crls_close_to_their_next_update_are_republished(pki_ready):
    root, issuing = pki_ready.root, pki_ready.issuing
    assert services.crl_refresh_due() == []  # both were just published (24 h)
    CertificateAuthority.objects.filter(pk=issuing.pk).update(
        crl_next_update=timezone.now() + dt.timedelta(minutes=90))
    before = CertificateAuthority.objects.get(pk=issuing.pk).crl_number
    tasks.crl_refresh.call_local()
    tasks.crl_refresh.call_local()  # a second consumer running the same job: nothing more
    after = CertificateAuthority.objects.get(pk=issuing.pk)
    assert after.crl_number == before + 1
    assert after.crl_next_update - timezone.now() > dt.timedelta(hours=23)
    assert CertificateAuthority.objects.get(pk=root.pk).crl_number == root.crl_number
