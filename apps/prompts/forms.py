from django import forms


class TemplateForm(forms.Form):
    name = forms.CharField(max_length=120)
    body = forms.CharField(
        label="Prompt text",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Use {product} style placeholders for variables; {{ and }} for literal braces.",
    )
    negative_prompt = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Negative prompt"
    )


class TemplateVersionForm(forms.Form):
    body = forms.CharField(label="Prompt text", widget=forms.Textarea(attrs={"rows": 4}))
    negative_prompt = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Negative prompt"
    )
