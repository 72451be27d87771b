from django.apps import AppConfig


class TraceConfig(AppConfig):
    name = "tinhso.trace"
    label = "trace"
    verbose_name = "Truy xuất nguồn gốc (EPCIS 2.0)"
