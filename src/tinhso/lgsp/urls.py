from django.urls import path, re_path

from tinhso.lgsp import gateway, views

app_name = "lgsp"

urlpatterns = [
    re_path(r"^r1/(?P<rest>.+)$", gateway.gateway, name="gateway"),
    path("listClients", views.list_clients, name="list-clients"),
    path("log/v2/get-sth", views.get_sth, name="get-sth"),
    path("log/v2/get-sth-consistency", views.get_sth_consistency, name="get-sth-consistency"),
    path("log/v2/get-proof-by-hash", views.get_proof_by_hash, name="get-proof-by-hash"),
]
