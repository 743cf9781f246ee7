from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = "Help desk"

    def ready(self):
        from helpdesk import lookups  # noqa: F401  (registers field__any)
