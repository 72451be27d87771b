from django.apps import AppConfig


class IocConfig(AppConfig):
    name = "tinhso.ioc"
    label = "ioc"
    verbose_name = "Trung tâm điều hành thông minh (IOC)"

    def ready(self) -> None:
        # The daily facts are a projection of the outbox (consumer "ioc", in a worker); bulk
        # loads hand their batches over in their own transaction.
        from tinhso.core.hooks import register_bulk_loader, subscribe_dossier_events_bulk
        from tinhso.ioc import consumer
        from tinhso.ioc.facts import on_dossier_events_bulk
        from tinhso.ioc.facts_bulk import FactLoader
        from tinhso.outbox.registry import register_consumer

        register_consumer(consumer.NAME, consumer.handle, types=consumer.TYPES, batch=100)
        subscribe_dossier_events_bulk(on_dossier_events_bulk)
        register_bulk_loader(on_dossier_events_bulk, FactLoader)
