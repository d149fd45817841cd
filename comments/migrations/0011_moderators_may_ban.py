"""Moderators may ban and suspend commenters (bans.py): see, add, change and lift bans."""

from importlib import import_module

from django.db import migrations

moderators_group = import_module("comments.migrations.0002_moderators_group")

PERMISSIONS = [("comments", "ban", f"{verb}_ban") for verb in ("view", "add", "change", "delete")]


def grant(apps, schema_editor):
    moderators_group.grant_to_moderators(apps, schema_editor, PERMISSIONS)


def take_back(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group").objects.filter(name=moderators_group.GROUP).first()
    if group is not None:
        codenames = [codename for _, _, codename in PERMISSIONS]
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="comments", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [("comments", "0010_issue22_moderators_tools")]

    operations = [migrations.RunPython(grant, take_back)]
