from django.apps import AppConfig


class MarketConfig(AppConfig):
    name = "tinhso.market"
    label = "market"
    verbose_name = "Chợ nông sản"

    def ready(self) -> None:
        from tinhso.market.payments import register_ipn_route

        register_ipn_route()
