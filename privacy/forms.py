"""The forms of "Your comments and data": the address to send a link to, and how to erase."""

from django import forms

from groundwork.email_addresses import EmailAddressField

KEEP, DELETE = "anonymize", "delete"


class LinkRequestForm(forms.Form):
    email = EmailAddressField(label="Your email address", max_length=254)


class EraseForm(forms.Form):
    comments = forms.ChoiceField(
        choices=[
            (KEEP, "Keep their text, shown as “Anonymous”"),
            (DELETE, "Delete them entirely (replies others wrote to them stay, one level up)"),
        ],
        initial=KEEP,
        widget=forms.RadioSelect,
    )
    sure = forms.BooleanField(label="I understand that this cannot be undone.")

    def __init__(self, *args, may_delete: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_delete:
            self.fields["comments"].choices = self.fields["comments"].choices[:1]

    @property
    def deletes_comments(self) -> bool:
        return self.cleaned_data["comments"] == DELETE
