from django.urls import path

from tinhso.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:notification_id>/da-doc/", views.mark_read, name="read"),
    path("da-doc-tat-ca/", views.mark_all_read, name="read_all"),
    path("tuy-chon/", views.preferences, name="preferences"),
    path("canh-bao/", views.alert_subscription, name="alerts"),
]
