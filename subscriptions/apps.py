from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"

    def ready(self):
        # The receivers import models, which may be imported only once the app registry is ready.
        from .receivers import connect

        connect()
