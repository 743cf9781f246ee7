from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The token-authenticated REST API; its own label keeps its migrations apart."""

    name = "helpdesk.api"
    label = "api"
    verbose_name = "API"

    def ready(self):
        from helpdesk.api import schema  # noqa: F401  (registers the Bearer scheme for OpenAPI)
