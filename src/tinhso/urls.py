from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path, reverse_lazy
from django.views.generic import RedirectView
from ninja.openapi.views import openapi_json, openapi_view

from tinhso.core.api import api

admin.site.site_header = "Quản trị tỉnh số"
admin.site.site_title = "tỉnh số"
admin.site.index_title = "Quản trị hệ thống"


def health(request: HttpRequest) -> JsonResponse:
    """Liveness probe; also the trivial baseline endpoint of the benchmarks."""
    return JsonResponse({"status": "ok"})


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
    path("mot-cua/", include("tinhso.backoffice.urls")),
    path("ioc/", include("tinhso.ioc.urls")),
    path("chu-ky-so/", include("tinhso.signatures.urls")),
    path("phan-anh/", include("tinhso.feedback.urls")),
    path("thanh-toan/", include("tinhso.payments.urls")),
    path("lgsp/", include("tinhso.lgsp.urls")),
    path("", include("tinhso.portal.urls")),
]

if settings.TINHSO_CSC_SANDBOX:  # a stand-in for an outside signing service, never in production
    urlpatterns.insert(0, path("sandbox/", include("tinhso.signatures.csc_sandbox_urls")))

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
