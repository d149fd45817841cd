from django.apps import AppConfig


class DemoConfig(AppConfig):
    """What `make run` needs to show the site off: demo content, an admin login, a login provider that trusts anyone.

    Installed by the development (and test) settings only: production never imports it.
    """

    name = "demo"
    verbose_name = "Demo (development only)"
