from django.apps import AppConfig


class CorrespondenceConfig(AppConfig):
    """Official correspondence: outgoing and incoming documents, edXML exchange."""

    name = "tinhso.correspondence"
    label = "correspondence"
    verbose_name = "Văn bản đi, văn bản đến"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tinhso.correspondence import mail_intake
        from tinhso.outbox.registry import register_consumer

        register_consumer(mail_intake.NAME, mail_intake.handle_event, types=mail_intake.TYPES)
