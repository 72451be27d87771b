from django.apps import AppConfig


class IotConfig(AppConfig):
    name = "tinhso.iot"
    label = "iot"
    verbose_name = "Nông nghiệp thông minh (IoT)"
