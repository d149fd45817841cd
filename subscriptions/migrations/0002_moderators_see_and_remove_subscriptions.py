"""Moderators (the group comments' migrations made) may see subscriptions and remove them, and see how new posts went out."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Moderators"
PERMISSIONS = [
    ("subscription", "view_subscription"),
    ("subscription", "delete_subscription"),
    ("address", "view_address"),
    ("address", "delete_address"),
    ("announcement", "view_announcement"),
    ("delivery", "view_delivery"),
]


def let_moderators_manage_subscriptions(apps, schema_editor):
    using = schema_editor.connection.alias
    app_config = apps.get_app_config("subscriptions")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=using)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(using).get_or_create(name=GROUP)
    for model, codename in PERMISSIONS:
        group.permissions.add(
            Permission.objects.using(using).get(
                content_type__app_label="subscriptions", content_type__model=model, codename=codename
            )
        )


def take_them_back(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    group = apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(name=GROUP).first()
    if group is not None:
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="subscriptions"))


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("comments", "0002_moderators_group"),
        ("subscriptions", "0001_initial"),
    ]

    operations = [migrations.RunPython(let_moderators_manage_subscriptions, take_them_back)]
