from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "tinhso.connectors"
    label = "connectors"
    verbose_name = "Kết nối hệ thống quốc gia"

    def ready(self) -> None:
        from django.conf import settings

        if settings.TINHSO_NATIONAL_PORTAL_SERVICE:
            from tinhso.connectors import consumer
            from tinhso.outbox.registry import register_consumer

            register_consumer(consumer.NAME, consumer.handle, types=consumer.TYPES, batch=100)
