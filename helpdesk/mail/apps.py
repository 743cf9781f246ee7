from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "helpdesk.mail"
    label = "mail"
    verbose_name = "Email channel"
