"""The buttons of a reader's page (views.manage): which one was pressed, and for which subscription."""

from django import forms

STOP, STOP_EVERYTHING, ALLOW_AGAIN = "stop", "stop-everything", "allow-again"


class ManageForm(forms.Form):
    action = forms.ChoiceField(choices=[(STOP, STOP), (STOP_EVERYTHING, STOP_EVERYTHING), (ALLOW_AGAIN, ALLOW_AGAIN)])
    subscription = forms.IntegerField(required=False, min_value=1)
