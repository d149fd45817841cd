"""What was done with commenters' data at their request: the record the site keeps, without their data.

A `DataRequest` row is written each time a commenter's data is downloaded or erased, by its owner
(through the signed link of "Your comments and data") or by a moderator in the admin (for a
request that came by post or email). It says when, by whom and how much, and never whose: the
address, the names and the comments it was about are exactly what an erasure removes.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class Action(models.TextChoices):
    EXPORT = "export", "Downloaded"
    ANONYMIZE = "anonymize", "Erased (comments kept as Anonymous)"
    DELETE = "delete", "Erased (comments deleted)"


class Requester(models.TextChoices):
    OWNER = "owner", "Its owner (emailed link)"
    MODERATOR = "moderator", "A moderator (admin)"


class DataRequest(models.Model):
    Action = Action
    Requester = Requester

    at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=9, choices=Action)
    requester = models.CharField(max_length=9, choices=Requester)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The staff member who did it in the admin.",
    )
    moderator_name = models.CharField(
        "moderator's username",
        max_length=150,
        blank=True,
        help_text="Their username then, kept if the account is deleted later.",
    )
    comments = models.PositiveIntegerField(default=0, help_text="Comments downloaded, anonymized or deleted.")
    subscriptions = models.PositiveIntegerField(default=0, help_text="Subscriptions downloaded or ended.")
    accounts = models.PositiveIntegerField(default=0, help_text="Social login accounts downloaded or removed.")
    sessions = models.PositiveIntegerField(default=0, help_text="Logged-in sessions ended.")

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "personal data request"
        permissions = [
            ("export_personal_data", "Can download a commenter's data"),
            ("erase_personal_data", "Can erase a commenter's data"),
        ]

    def __str__(self):
        return f"{self.get_action_display()} on {self.at:%Y-%m-%d %H:%M}"
