from django.urls import path

from tinhso.correspondence import views

app_name = "correspondence"
urlpatterns = [
    path("", views.home, name="home"),
    path("di/", views.outgoing_register, name="out_register"),
    path("di/moi/", views.outgoing_new, name="out_new"),
    path("di/<int:pk>/", views.outgoing_detail, name="outgoing"),
    path("di/<int:pk>/pdf/", views.outgoing_pdf, name="outgoing_pdf"),
    path("di/<int:pk>/<str:action>/", views.outgoing_act, name="outgoing_act"),
    path("den/", views.incoming_register, name="in_register"),
    path("den/moi/", views.incoming_new, name="in_new"),
    path("den/<int:pk>/", views.incoming_detail, name="incoming"),
    path("den/<int:pk>/<str:action>/", views.incoming_act, name="incoming_act"),
    path("tep/<int:pk>/", views.file_download, name="file"),
    path("xuat/<str:register>.<str:fmt>", views.export, name="export"),
    path("ioc/", views.ioc_card, name="ioc"),
]
