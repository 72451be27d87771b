from django.urls import path

from tinhso.meetings import views

app_name = "meetings"
urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("moi/", views.schedule, name="schedule"),
    path("<str:slug>/", views.detail, name="detail"),
    path("<str:slug>/ma-qr.svg", views.door_qr, name="qr"),
    path("<str:slug>/diem-danh/<str:token>/", views.checkin, name="checkin"),
    path("<str:slug>/tai-lieu/<int:document_id>/", views.document, name="document"),
    path("<str:slug>/bien-ban.pdf", views.minutes_pdf, name="minutes"),
    path("<str:slug>/thao-tac/<str:action>/", views.act, name="act"),
]
