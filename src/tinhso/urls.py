from django.conf import settings
from django.contrib import admin
from django.urls import include, path, reverse_lazy
from django.views.generic import RedirectView
from ninja.openapi.views import openapi_json, openapi_view

from tinhso.core.api import api
from tinhso.core.health import health, metrics, readyz

admin.site.site_header = "Quản trị tỉnh số"
admin.site.site_title = "tỉnh số"
admin.site.index_title = "Quản trị hệ thống"


urlpatterns = [
    # One sign-in page for everyone: the portal's, with its failure lockout (Django admin's own
    # login form has none). ``?next=/admin/...`` is kept, so the admin opens after signing in.
    path("admin/login/", RedirectView.as_view(url=reverse_lazy("portal:login"),
                                              query_string=True)),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # The documented short addresses of the API docs and schema (also under /api/v1/).
    path("api/docs", openapi_view, {"api": api}, name="api-docs"),
    path("api/openapi.json", openapi_json, {"api": api}, name="api-openapi"),
    path("healthz", health, name="health"),
    path("readyz", readyz, name="ready"),
    path("metrics", metrics, name="metrics"),
    path("mot-cua/", include("tinhso.backoffice.urls")),
    path("ioc/", include("tinhso.ioc.urls")),
    path("chu-ky-so/", include("tinhso.signatures.urls")),
    path("phan-anh/", include("tinhso.feedback.urls")),
    path("thanh-toan/", include("tinhso.payments.urls")),
    path("hop-thu/", include("tinhso.notifications.urls")),
    path("lgsp/", include("tinhso.lgsp.urls")),
    path("van-ban/", include("tinhso.correspondence.urls")),
    path("hop/", include("tinhso.meetings.urls")),
    path("thu-cong-vu/", include("tinhso.mail.urls")),
    path("cho-nong-san/", include("tinhso.market.urls")),
    path("", include("tinhso.trace.urls")),
    path("", include("tinhso.portal.urls")),
]

# JSON errors under /api/ (docs/api.md), the usual pages elsewhere.
handler400 = "tinhso.core.http_errors.bad_request"
handler403 = "tinhso.core.http_errors.permission_denied"
handler404 = "tinhso.core.http_errors.not_found"
handler500 = "tinhso.core.http_errors.server_error"

if settings.TINHSO_CSC_SANDBOX:  # a stand-in for an outside signing service, never in production
    urlpatterns.insert(0, path("sandbox/", include("tinhso.signatures.csc_sandbox_urls")))

if settings.TINHSO_BENCH_RAW_INTAKE:  # the intake benchmark's baseline, never in production
    from tinhso.dossiers.rawintake import raw_intake

    urlpatterns.insert(0, path("bench/raw-intake/", raw_intake, name="bench-raw-intake"))

# MEDIA_ROOT is never served as such, not even with TINHSO_DEBUG: it holds dossier files and
# signed receipts with personal data (issue 9). Files are served only by the views that check
# who may see which dossier (tinhso.portal.files) and verify the bytes (tinhso.core.blobs).
