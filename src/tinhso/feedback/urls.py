from django.urls import path

from tinhso.feedback import views

app_name = "feedback"
urlpatterns = [
    path("", views.published_list, name="list"),
    path("gui/", views.submit, name="submit"),
    path("cua-toi/", views.mine, name="mine"),
    path("<str:code>/", views.detail, name="detail"),
    path("<str:code>/<str:action>/", views.act, name="act"),
]
