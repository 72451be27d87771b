from django.apps import AppConfig


class LgspConfig(AppConfig):
    name = "tinhso.lgsp"
    label = "lgsp"
    verbose_name = "Nền tảng tích hợp, chia sẻ dữ liệu (LGSP)"
