"""The project's URLs with the CSC sandbox mounted (settings.py mounts it only in DEBUG)."""

from django.urls import include, path

from tinhso.urls import urlpatterns as project_urlpatterns

_mounted = any(getattr(p, "namespace", None) == "csc_sandbox" for p in project_urlpatterns)
urlpatterns = list(project_urlpatterns) if _mounted else [
    path("sandbox/", include("tinhso.signatures.csc_sandbox_urls")),
    *project_urlpatterns,
]
