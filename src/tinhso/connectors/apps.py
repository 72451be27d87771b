from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "tinhso.connectors"
    label = "connectors"
    verbose_name = "Kết nối hệ thống quốc gia"
