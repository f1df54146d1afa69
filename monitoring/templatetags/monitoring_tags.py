from django import template

from monitoring.models import format_decimal

register = template.Library()


@register.filter
def num(value) -> str:
    """A decimal without trailing zeros: 7.1000 → 7.1."""
    if value is None or value == "":
        return ""
    return format_decimal(value)


@register.filter
def hours(value) -> str:
    """Hours as '12.0 h'; blank when unknown."""
    if value is None:
        return ""
    return f"{value:.1f} h"


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template (None when missing)."""
    return mapping.get(key)
