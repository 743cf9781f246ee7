from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Outbound webhooks; its own label keeps its migrations apart."""

    name = "helpdesk.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
