"""Routes of the trace app: the EPCIS 2.0 binding (/epcis/…), the Digital Link resolver
(/01/{gtin}/10/{lot}) and the public ledger (/truy-xuat/…). Mounted at the site's root."""

from django.urls import path

from tinhso.trace import epcis_views, query_views, views

app_name = "trace"

urlpatterns = [
    path("epcis/capture", epcis_views.capture, name="capture"),
    path("epcis/capture/<uuid:capture_id>", epcis_views.capture_job, name="capture-job"),
    path("epcis/events", epcis_views.events, name="events"),
    path("epcis/events/<path:event_id>", epcis_views.event_detail, name="event"),
    path("epcis/queries", query_views.queries, name="queries"),
    path("epcis/queries/<str:name>", query_views.query_detail, name="query"),
    path("epcis/queries/<str:name>/events", query_views.query_events, name="query-events"),
    path("epcis/queries/<str:name>/subscriptions", query_views.subscriptions,
         name="subscriptions"),
    path("epcis/queries/<str:name>/subscriptions/<str:subscription_id>",
         query_views.subscription_detail, name="subscription"),
    # GTIN and lot are checked in the views (404 unless a GTIN with its check digit + a lot).
    path("01/<str:gtin>/10/<str:lot>", views.resolve_lot, name="lot"),
    path("truy-xuat/qr/01/<str:gtin>/10/<str:lot>.svg", views.lot_qr, name="lot-qr"),
    path("truy-xuat/so-cai/", views.ledger_page, name="ledger"),
    path("truy-xuat/so-cai/sth", views.ledger_sth, name="ledger-sth"),
    path("truy-xuat/so-cai/consistency", views.ledger_consistency, name="ledger-consistency"),
    path("truy-xuat/so-cai/proof", views.ledger_proof, name="ledger-proof"),
]
