"""Prompt template syntax: `{name}` placeholders, `{{` and `}}` for literal braces.

Kept deliberately small (no attribute access, indexing or format specs) so a
template can never reach into Python objects and its variables are exactly
the names it mentions.
"""

from __future__ import annotations

import re
import string

from django.core.exceptions import ValidationError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")


def template_variables(body: str) -> list[str]:
    """Names used in `body`, in order of first use; ValidationError if the syntax is wrong."""
    names: list[str] = []
    try:
        parsed = list(string.Formatter().parse(body))
    except ValueError as exc:
        raise ValidationError(
            f"Template syntax error: {exc}. Use {{name}} for a variable and {{{{ }}}} for a brace."
        ) from exc
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if not _NAME.match(field) or spec or conversion:
            raise ValidationError(
                f"'{{{field}}}' is not a valid variable: use letters, digits and underscores, "
                "starting with a letter."
            )
        if field not in names:
            names.append(field)
    return names


def render(body: str, values: dict[str, str]) -> str:
    """Fill `body` with `values`; every variable must be given and nothing else."""
    names = template_variables(body)
    missing = [n for n in names if not str(values.get(n, "")).strip()]
    unknown = sorted(set(values) - set(names))
    errors = []
    if missing:
        errors.append(f"Missing value for: {', '.join(missing)}.")
    if unknown:
        errors.append(f"Unknown variable: {', '.join(unknown)}.")
    if errors:
        raise ValidationError(" ".join(errors), code="variables")
    return body.format(**{n: str(values[n]).strip() for n in names})
