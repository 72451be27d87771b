"""URLs of the CSC sandbox, mounted at /sandbox/csc/ when TINHSO_CSC_SANDBOX is on."""

from django.urls import path

from tinhso.signatures import csc_sandbox

app_name = "csc_sandbox"
urlpatterns = [
    path("csc/v2/info", csc_sandbox.info_view, name="info"),
    path("csc/v2/credentials/info", csc_sandbox.credentials_info_view, name="credentials-info"),
    path("csc/v2/credentials/authorize", csc_sandbox.credentials_authorize_view,
         name="credentials-authorize"),
    path("csc/v2/signatures/signHash", csc_sandbox.sign_hash_view, name="sign-hash"),
]
