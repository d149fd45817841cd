"""Comments find their author's other comments by the key of the email (addresses.email_key), stored and indexed;
every text field refuses control characters (the admin's form too)."""

import groundwork.email_addresses
import comments.models
from django.db import migrations, models

BATCH = 2000


def store_email_keys(apps, schema_editor):
    """Give every stored comment the key of its email, a batch at a time."""
    Comment = apps.get_model("comments", "Comment")
    last = 0
    while batch := list(Comment.objects.filter(pk__gt=last).order_by("pk").only("pk", "author_email")[:BATCH]):
        for comment in batch:
            comment.author_email_key = groundwork.email_addresses.email_key(comment.author_email)
        Comment.objects.bulk_update(batch, ["author_email_key"])
        last = batch[-1].pk


class Migration(migrations.Migration):

    dependencies = [
        ('comments', '0007_erasure'),
    ]

    operations = [
        migrations.AddField(
            model_name='comment',
            name='author_email_key',
            field=models.CharField(blank=True, editable=False, help_text="The email as addresses.email_key reads it: what finds the author's other comments.", max_length=508),
        ),
        migrations.RunPython(store_email_keys, migrations.RunPython.noop, elidable=False),
        migrations.AddIndex(
            model_name='comment',
            index=models.Index(fields=['author_email_key', 'status'], name='comments_author_key'),
        ),
        migrations.AlterField(
            model_name='comment',
            name='author_email',
            field=models.EmailField(blank=True, help_text='Never shown on the site; empty once its author erased it.', max_length=100, validators=[groundwork.email_addresses.validate_address], verbose_name='email'),
        ),
        migrations.AlterField(
            model_name='comment',
            name='author_name',
            field=models.CharField(max_length=245, validators=[comments.models.NoControlCharacters()], verbose_name='name'),
        ),
        migrations.AlterField(
            model_name='comment',
            name='author_url',
            field=models.URLField(blank=True, validators=[comments.models.NoControlCharacters()], verbose_name='website'),
        ),
        migrations.AlterField(
            model_name='comment',
            name='body',
            field=models.TextField(help_text='As the author wrote it (plain text).', max_length=65525, validators=[comments.models.NoControlCharacters(allowed='\t\n\r')], verbose_name='comment'),
        ),
    ]
