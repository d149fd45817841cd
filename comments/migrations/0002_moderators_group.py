"""The "Moderators" group: staff in it can see, edit, moderate and delete comments, and read their history.

It grants nothing on posts, categories, tags or users. Permissions are made after migrations
run, so they are created here first for a fresh database.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Moderators"
PERMISSIONS = [
    ("comments", "comment", "view_comment"),
    ("comments", "comment", "change_comment"),
    ("comments", "comment", "delete_comment"),
    ("comments", "commentevent", "view_commentevent"),
]


def grant_to_moderators(apps, schema_editor, permissions):
    """Give the Moderators group `permissions` ((app label, model, codename) each), creating both if need be."""
    app_config = apps.get_app_config("comments")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(schema_editor.connection.alias).get_or_create(name=GROUP)
    for app_label, model, codename in permissions:
        group.permissions.add(
            Permission.objects.using(schema_editor.connection.alias).get(
                content_type__app_label=app_label, content_type__model=model, codename=codename
            )
        )


def create_moderators_group(apps, schema_editor):
    grant_to_moderators(apps, schema_editor, PERMISSIONS)


def remove_moderators_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("comments", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_moderators_group, remove_moderators_group)]
