from django.urls import path

from tinhso.mail import views

app_name = "mail"
urlpatterns = [
    path("", views.address_book, name="addresses"),
    path("da-gui/", views.sent, name="sent"),
    path("thu-den/", views.received, name="received"),
]
