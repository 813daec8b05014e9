from django import template

from ..charts import fmt

register = template.Library()


@register.filter
def duration_s(value: float | None) -> str:
    """Seconds as people read them: 840 ms, 3.2 s, 4.5 min, 2.1 h."""
    return fmt(value)
