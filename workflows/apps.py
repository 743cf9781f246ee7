from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"

    def ready(self):
        from workflows import config  # noqa: F401  (configuration changes replace its token)
        from workflows.sla import signals  # noqa: F401  (configuration changes recompute clocks)
