from __future__ import annotations

from django import forms

from .models import Event


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="Receiver URL",
        max_length=2000,
        widget=forms.URLInput(attrs={"placeholder": "https://cms.example.com/hooks/imprimatur"}),
        help_text="http or https, reachable on a public address.",
    )
    description = forms.CharField(max_length=200, required=False)
    events = forms.MultipleChoiceField(
        choices=Event.choices,
        initial=list(Event.values),
        widget=forms.CheckboxSelectMultiple,
    )
