from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "tinhso.mail"
    label = "mail"
    verbose_name = "Thư công vụ"
