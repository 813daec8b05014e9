from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def navigation(request: HttpRequest) -> dict[str, Any]:
    """`show_metrics` for the header link; evaluated only when a page renders it."""

    def visible() -> bool:
        from .selectors import dashboard_projects

        user = request.user
        return bool(user.is_authenticated and dashboard_projects(user=user).exists())  # type: ignore[arg-type]

    return {"show_metrics": SimpleLazyObject(visible)}
