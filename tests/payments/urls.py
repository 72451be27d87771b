"""The project's URLs plus /thanh-toan/ (until tinhso/urls.py includes tinhso.payments.urls)."""

from django.urls import include, path

from tinhso.urls import urlpatterns as project_urlpatterns

_mounted = any(getattr(p, "namespace", None) == "payments" for p in project_urlpatterns)
urlpatterns = list(project_urlpatterns) if _mounted else [
    path("thanh-toan/", include("tinhso.payments.urls")),
    *project_urlpatterns,
]
