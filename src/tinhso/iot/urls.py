from django.urls import path

from tinhso.iot import views

app_name = "iot"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("thua/<int:parcel_id>/", views.parcel, name="parcel"),
    path("canh-bao/<int:alarm_id>/xac-nhan/", views.acknowledge, name="acknowledge"),
]
