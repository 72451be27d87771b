from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tinhso.core"
    label = "core"
    verbose_name = "Lõi hệ thống"

    def ready(self) -> None:
        # The lookup caches' generation numbers follow every change of what they hold.
        from tinhso.core import lookupcache

        lookupcache.connect_signals()
        # `check --deploy` reads PostgreSQL's sizing settings (warnings only).
        from tinhso.core import dbsettings

        dbsettings.register()
