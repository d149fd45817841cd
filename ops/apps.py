from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running the site: the task worker that survives faults, the health check, what app servers do about the
    proxies in front of them and a database outage (middleware.py)."""

    name = "ops"
    verbose_name = "Operations"
