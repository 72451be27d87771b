"""Mounted at /cho-nong-san/ by tinhso/urls.py."""

from django.urls import path

from tinhso.market import views

app_name = "market"
urlpatterns = [
    path("", views.listing_list, name="list"),
    path("san-pham/<int:listing_id>/", views.listing_detail, name="listing"),
    path("san-pham/<int:listing_id>/dat-hang/", views.order_place, name="order-place"),
    path("nguoi-ban/<int:seller_id>/", views.seller_detail, name="seller"),
    path("anh/<int:photo_id>/", views.photo, name="photo"),
    path("cung-cau/", views.post_list, name="posts"),
    path("cung-cau/dang-tin/", views.post_create, name="post-create"),
    path("gia/", views.bulletin, name="bulletin"),
    path("thanh-toan/ket-qua", views.vnpay_return, name="vnpay-return"),
    path("don-hang/", views.my_orders, name="orders"),
    path("don-hang/<str:code>/", views.order_detail, name="order"),
    path("don-hang/<str:code>/<str:action>/", views.order_action, name="order-action"),
    path("ban-hang/", views.stall, name="stall"),
    path("ban-hang/<str:action>/", views.stall_action, name="stall-action"),
    path("quan-ly/", views.manage, name="manage"),
    path("quan-ly/gia/", views.manage_prices, name="manage-prices"),
    path("quan-ly/<str:what>/<int:item_id>/", views.manage_action, name="manage-action"),
]
