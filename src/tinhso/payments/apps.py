from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "tinhso.payments"
    label = "payments"
    verbose_name = "Thanh toán phí, lệ phí"

    def ready(self) -> None:
        from tinhso.outbox.registry import register_consumer
        from tinhso.payments import receipts

        # Every settled fee gets its e-receipt in a worker, after the payment committed.
        register_consumer("receipts", receipts.handle_event, types={"payment.settled"})
