"""Mounted at /thanh-toan/ by tinhso/urls.py. The return and IPN paths are fixed in
``services.RETURN_PATH`` / ``services.IPN_PATH`` (the IPN URL is registered at the gateway)."""

from django.urls import path

from tinhso.payments import views

app_name = "payments"
urlpatterns = [
    path("<int:payment_id>/vnpay", views.vnpay_start, name="vnpay-start"),
    path("vnpay/ket-qua", views.vnpay_return, name="vnpay-return"),
    path("vnpay/ipn", views.vnpay_ipn, name="vnpay-ipn"),
]
