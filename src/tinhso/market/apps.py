from django.apps import AppConfig


class MarketConfig(AppConfig):
    name = "tinhso.market"
    label = "market"
    verbose_name = "Chợ nông sản"

    def ready(self) -> None:
        from tinhso.market import figures, notify
        from tinhso.market.payments import register_ipn_route
        from tinhso.outbox.registry import register_consumer

        register_ipn_route()
        register_consumer(notify.NAME, notify.handle_event, types=notify.TYPES)
        register_consumer(figures.NAME, figures.handle, types=figures.TYPES, batch=100)
