from django.apps import AppConfig


class TraceConfig(AppConfig):
    name = "tinhso.trace"
    label = "trace"
    verbose_name = "Truy xuất nguồn gốc (EPCIS 2.0)"

    def ready(self) -> None:
        # Outbox consumer: a capture makes the stream subscriptions due (docs/trace.md).
        from tinhso.outbox.registry import register_consumer
        from tinhso.trace import subscriptions

        register_consumer(subscriptions.CONSUMER, subscriptions.handle_captured,
                          types={"trace.events_captured"}, batch=50)
