from django.apps import AppConfig


class IocConfig(AppConfig):
    name = "tinhso.ioc"
    label = "ioc"
    verbose_name = "Trung tâm điều hành thông minh (IOC)"

    def ready(self) -> None:
        # The daily facts follow the dossier event log inside each event's transaction.
        from tinhso.core.hooks import subscribe_dossier_events, subscribe_dossier_events_bulk
        from tinhso.ioc.facts import on_dossier_event, on_dossier_events_bulk

        subscribe_dossier_events(on_dossier_event)
        subscribe_dossier_events_bulk(on_dossier_events_bulk)
