"""The officials' one-stop front, mounted at /mot-cua/."""

from django.urls import path

from tinhso.backoffice import finance, intake, transfer, views

app_name = "backoffice"
urlpatterns = [
    path("", views.home, name="home"),
    path("thu-phi/", finance.finance, name="finance"),
    path("thu-phi/giao-dich/<int:line_id>/<str:decision>/", finance.finance_decide,
         name="finance_decide"),
    path("chuyen-ho-so/", transfer.transfer_page, name="transfer"),
    path("hang-doi/<str:queue>/", views.queue, name="queue"),
    path("tiep-nhan/", intake.intake_start, name="intake"),
    path("tiep-nhan/<str:code>/", intake.intake_form, name="intake_form"),
    path("ho-so/<str:code>/", views.dossier_detail, name="dossier"),
    path("ho-so/<str:code>/thao-tac/<str:action>/", views.dossier_action, name="action"),
    path("ho-so/<str:code>/ket-qua/", views.dossier_attach_result, name="attach_result"),
    path("ho-so/<str:code>/van-ban/", views.dossier_issue_document, name="issue_document"),
    path("ho-so/<str:code>/tep/<int:attachment_id>/", views.attachment_view, name="attachment"),
    path("ho-so/<str:code>/giay-tiep-nhan/", views.receipt, name="receipt"),
]
