from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running the site: the task worker that survives faults, the health check load balancers call."""

    name = "ops"
    verbose_name = "Operations"
