"""Who moderates comments: active staff who may change them, directly, through a group or as superusers."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q

MODERATE_PERMISSION = "comments.change_comment"


def moderators():
    """Every account that may moderate, oldest first."""
    permission = Permission.objects.filter(content_type__app_label="comments", codename="change_comment")
    may_change = Q(is_superuser=True) | Q(user_permissions__in=permission) | Q(groups__permissions__in=permission)
    return get_user_model().objects.filter(may_change, is_active=True, is_staff=True).distinct().order_by("pk")


def may_moderate(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm(MODERATE_PERMISSION)
