from django.urls import include, path

from tinhso.ioc import money, views
from tinhso.market import views as market_views

app_name = "ioc"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("bang-dieu-hanh/", views.overview_panel, name="panel"),
    path("ho-so/", views.drilldown, name="drilldown"),
    path("ho-so/<str:code>/", views.dossier_timeline, name="dossier"),
    path("hang-doi/", views.queues, name="queues"),
    path("xuat/<str:table>.<str:fmt>", views.export, name="export"),
    path("bao-cao.pdf", views.report, name="report"),
    path("thong-bao/", views.notifications, name="notifications"),
    path("thong-bao/<int:notification_id>/da-doc/", views.notification_read,
         name="notification_read"),
    path("nong-nghiep/", include("tinhso.iot.urls")),
    path("thu-phi/", money.money, name="money"),
    path("cho-nong-san/", market_views.ioc_figures, name="market"),
]
