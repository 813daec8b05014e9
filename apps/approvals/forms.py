from django import forms

from .models import Verdict


class DecisionForm(forms.Form):
    verdict = forms.ChoiceField(choices=Verdict.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required to reject or to request changes.",
    )


class WithdrawForm(forms.Form):
    comment = forms.CharField(
        label="Why", widget=forms.Textarea(attrs={"rows": 2}), help_text="Required."
    )


class CommentForm(forms.Form):
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}))
