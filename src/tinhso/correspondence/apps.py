from django.apps import AppConfig


class CorrespondenceConfig(AppConfig):
    """Official correspondence: outgoing and incoming documents, edXML exchange."""

    name = "tinhso.correspondence"
    label = "correspondence"
    verbose_name = "Văn bản đi, văn bản đến"
    default_auto_field = "django.db.models.BigAutoField"
