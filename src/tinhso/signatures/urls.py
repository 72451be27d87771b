from django.urls import path

from tinhso.signatures import views

app_name = "signatures"
urlpatterns = [
    path("crl/<slug:name>.crl", views.crl, name="crl"),
    path("ca/<slug:name>.crt", views.ca_certificate, name="ca-certificate"),
    path("ocsp", views.ocsp_responder, name="ocsp"),
    path("ocsp/<path:encoded>", views.ocsp_responder, name="ocsp-get"),
    path("tsa", views.tsa_endpoint, name="tsa"),
    path("xac-minh/", views.verify_page, name="verify"),
    path("xac-minh/<uuid:uuid>", views.document_page, name="document"),
]
