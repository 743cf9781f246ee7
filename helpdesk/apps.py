from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = "Help desk"

    def ready(self):
        from helpdesk import customer_panel, lookups, timeline  # noqa: F401  (field__any; signals)
