from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "tinhso.notifications"
    verbose_name = "Thông báo"

    def ready(self) -> None:
        from tinhso.notifications import wiring

        wiring.connect()
