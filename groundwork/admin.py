"""What the admin pages of every app have in common."""


class ReadOnlyRecordsMixin:
    """What the site writes itself (history, subscriptions, deliveries, requests): read here, never added or edited."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
