import pytest
from django.core.exceptions import ValidationError

from apps.prompts.rendering import render, template_variables


def test_variables_are_listed_in_order_of_first_use():
    assert template_variables("{product} on {surface}, more {product}") == ["product", "surface"]


def test_render_fills_every_variable_and_keeps_literal_braces():
    text = render("{{logo}} {product} on {surface}", {"product": "shoe", "surface": " table "})
    assert text == "{logo} shoe on table"


def test_missing_variable_is_an_error_naming_it():
    with pytest.raises(ValidationError, match="Missing value for: surface"):
        render("{product} on {surface}", {"product": "shoe"})


def test_blank_value_counts_as_missing():
    with pytest.raises(ValidationError, match="Missing value for: product"):
        render("{product}", {"product": "   "})


def test_unknown_variable_is_an_error_naming_it():
    with pytest.raises(ValidationError, match="Unknown variable: colour"):
        render("{product}", {"product": "shoe", "colour": "red"})


@pytest.mark.parametrize(
    "body", ["{product.__class__}", "{0}", "{product!r}", "{product:>10}", "{"]
)
def test_attribute_access_indexing_and_format_specs_are_refused(body):
    with pytest.raises(ValidationError):
        template_variables(body)
