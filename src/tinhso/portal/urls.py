"""Citizen portal, mounted at /. Paths are Vietnamese; no personal data ever goes into a URL
(dossier codes only; public tracking posts the ID number)."""

from django.urls import path
from django.views.i18n import set_language

from tinhso.portal.views import auth, catalogue, mfa, mine, oidc_views, submit, track

app_name = "portal"
urlpatterns = [
    path("", catalogue.home, name="home"),
    path("thu-tuc/", catalogue.procedure_list, name="procedures"),
    path("thu-tuc/<str:code>/", catalogue.procedure_detail, name="procedure"),
    path("co-quan/", catalogue.agency_list, name="agencies"),
    path("tra-cuu/", track.track, name="track"),
    path("ngon-ngu/", set_language, name="set_language"),
    # Accounts
    path("dang-nhap/", auth.login_view, name="login"),
    path("dang-nhap/xac-thuc/", mfa.mfa_verify_view, name="mfa_verify"),
    path("dang-nhap/dang-ky-xac-thuc/", mfa.mfa_enrol_view, name="mfa_enrol"),
    path("dang-xuat/", auth.logout_view, name="logout"),
    path("dang-ky/", auth.register_view, name="register"),
    path("quen-mat-khau/", auth.PasswordResetView.as_view(), name="password_reset"),
    path("quen-mat-khau/da-gui/", auth.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("dat-lai-mat-khau/<uidb64>/<token>/", auth.PasswordResetConfirmView.as_view(),
         name="password_reset_confirm"),
    path("dat-lai-mat-khau/xong/", auth.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("oidc/bat-dau/", oidc_views.oidc_start, name="oidc_start"),
    path("oidc/callback/", oidc_views.oidc_callback, name="oidc_callback"),
    # Online submission (drafts)
    path("nop-ho-so/<str:code>/", submit.draft_start, name="draft_start"),
    path("ho-so-nhap/<uuid:draft_id>/", submit.draft_resume, name="draft_resume"),
    path("ho-so-nhap/<uuid:draft_id>/noi-nop/", submit.draft_contact, name="draft_contact"),
    path("ho-so-nhap/<uuid:draft_id>/to-khai/<str:step_key>/", submit.draft_form,
         name="draft_form"),
    path("ho-so-nhap/<uuid:draft_id>/giay-to/", submit.draft_files, name="draft_files"),
    path("ho-so-nhap/<uuid:draft_id>/giay-to/<int:component_id>/tai-len/", submit.draft_upload,
         name="draft_upload"),
    path("ho-so-nhap/<uuid:draft_id>/tep/<int:file_id>/xoa/", submit.draft_remove_file,
         name="draft_remove_file"),
    path("ho-so-nhap/<uuid:draft_id>/xem-lai/", submit.draft_review, name="draft_review"),
    path("ho-so-nhap/<uuid:draft_id>/xoa/", submit.draft_delete, name="draft_delete"),
    # My dossiers
    path("ho-so-cua-toi/", mine.my_dossiers, name="my_dossiers"),
    path("ho-so-cua-toi/<str:code>/", mine.my_dossier, name="my_dossier"),
    path("ho-so-cua-toi/<str:code>/bo-sung/", mine.my_supplement, name="my_supplement"),
    path("ho-so-cua-toi/<str:code>/danh-gia/", mine.my_rate, name="my_rate"),
    path("ho-so-cua-toi/<str:code>/rut/", mine.my_withdraw, name="my_withdraw"),
    path("ho-so-cua-toi/<str:code>/tep/<int:attachment_id>/", mine.my_download,
         name="my_download"),
]
