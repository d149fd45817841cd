"""The forms of "Your comments and data": the address to send a link to, and how to erase."""

from django import forms

from groundwork.email_addresses import EmailAddressField

KEEP, DELETE = "anonymize", "delete"
# What each choice does to the comments, shown under it.
EFFECTS = {
    KEEP: "The comments stay on the articles with their text; “Anonymous” replaces the name at once.",
    DELETE: (
        "The comments disappear from the articles at once. One that others answered keeps its place in the thread, "
        "saying “This comment was deleted by its author.”, so that their replies stay where they are."
    ),
}


class LinkRequestForm(forms.Form):
    email = EmailAddressField(label="Your email address", max_length=254)


class ChoicesWithEffects(forms.RadioSelect):
    """Radio buttons, each described (aria-describedby) by what it does: `choice.data.effect`, at `<id>_effect`."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        option["effect"] = EFFECTS[value]
        option["attrs"]["aria-describedby"] = f"{option['attrs']['id']}_effect"
        return option


class EraseForm(forms.Form):
    comments = forms.ChoiceField(
        choices=[(KEEP, "Keep their text, shown as “Anonymous”"), (DELETE, "Delete them entirely")],
        initial=KEEP,
        widget=ChoicesWithEffects,
    )
    sure = forms.BooleanField(label="I understand that this cannot be undone.")

    def __init__(self, *args, may_delete: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_delete:
            self.fields["comments"].choices = self.fields["comments"].choices[:1]

    @property
    def deletes_comments(self) -> bool:
        return self.cleaned_data["comments"] == DELETE
