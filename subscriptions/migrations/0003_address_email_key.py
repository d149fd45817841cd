"""One address per mailbox, found by its key (comments' addresses.email_key) instead of LOWER(email).

Addresses the old rule kept apart but the key makes one (`x@maſs.example` and `x@mass.example`, whose mail
goes to one mailbox) are merged into the oldest: its subscriptions, confirmations and deliveries join it
(where both had one, the confirmed one stays), and an opt-out under either spelling stands. The key becomes
unique in the next migration, in a transaction of its own.
"""

import groundwork.email_addresses
from django.db import migrations, models


def store_keys_and_merge(apps, schema_editor):
    Address = apps.get_model("subscriptions", "Address")
    addresses = list(Address.objects.order_by("pk"))
    for address in addresses:
        address.email_key = groundwork.email_addresses.email_key(address.email)
    Address.objects.bulk_update(addresses, ["email_key"], batch_size=1000)
    oldest = {}
    for address in addresses:
        kept = oldest.setdefault(address.email_key, address)
        if kept is not address:
            merge(apps, address, into=kept)


def merge(apps, address, *, into):
    Subscription = apps.get_model("subscriptions", "Subscription")
    if address.opted_out_at and (into.opted_out_at is None or address.opted_out_at < into.opted_out_at):
        into.opted_out_at = address.opted_out_at
        into.save(update_fields=["opted_out_at"])
    for subscription in Subscription.objects.filter(address=address):
        twin = Subscription.objects.filter(address=into, post_id=subscription.post_id).first()
        if twin is not None and (twin.confirmed_at or not subscription.confirmed_at):
            continue  # the kept address's own stays; this one goes with its address
        if twin is not None:
            twin.delete()
        subscription.address = into
        subscription.save(update_fields=["address"])
    apps.get_model("subscriptions", "ConfirmationEmail").objects.filter(address=address).update(address=into)
    Delivery = apps.get_model("subscriptions", "Delivery")
    sent_to_both = Delivery.objects.filter(address=into).values("announcement_id")
    Delivery.objects.filter(address=address).exclude(announcement_id__in=sent_to_both).update(address=into)
    address.delete()


class Migration(migrations.Migration):

    dependencies = [
        ('subscriptions', '0002_moderators_see_and_remove_subscriptions'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='address',
            name='subscriptions_unique_address',
        ),
        migrations.AddField(
            model_name='address',
            name='email_key',
            field=models.CharField(default='', editable=False, help_text="The email as comments' addresses.email_key reads it: one row per mailbox.", max_length=508),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name='address',
            name='email',
            field=models.EmailField(help_text='As first written; matched by its key.', max_length=254),
        ),
        migrations.RunPython(store_keys_and_merge, migrations.RunPython.noop, elidable=False),
    ]
