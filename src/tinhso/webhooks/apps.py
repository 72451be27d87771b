from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "tinhso.webhooks"
    label = "webhooks"
    verbose_name = "Sự kiện ra ngoài (webhook, NATS)"

    def ready(self) -> None:
        # Outbox consumers: "webhooks" turns events into deliveries (rows, in the cursor's
        # transaction); "jetstream" publishes to NATS when TINHSO_NATS_URL is set.
        from tinhso.outbox.registry import register_consumer
        from tinhso.webhooks import conf, consumer, jetstream

        register_consumer(consumer.NAME, consumer.handle, batch=100)
        if conf.nats_url():
            register_consumer(jetstream.NAME, jetstream.handle, batch=50)
