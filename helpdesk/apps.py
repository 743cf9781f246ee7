from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = "Help desk"

    def ready(self):
        from helpdesk import lookups, timeline  # noqa: F401  (field__any; the timeline's signals)
