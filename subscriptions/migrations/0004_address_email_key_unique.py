from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('subscriptions', '0003_address_email_key'),
    ]

    operations = [
        migrations.AlterField(
            model_name='address',
            name='email_key',
            field=models.CharField(editable=False, help_text="The email as comments' addresses.email_key reads it: one row per mailbox.", max_length=508, unique=True),
        ),
    ]
