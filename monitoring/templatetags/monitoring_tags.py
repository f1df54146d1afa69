from django import template
from django.utils.formats import get_format, number_format
from django.utils.translation import gettext

from monitoring import display
from monitoring.models import Severity, format_decimal
from monitoring.rules import REGISTRY

register = template.Library()

# Badge style per severity, most severe first: critical darker than urgent (app.css).
SEVERITY_BADGES = {
    Severity.CRITICAL: "severity-critical",
    Severity.URGENT: "text-bg-danger",
    Severity.WARNING: "text-bg-warning",
    Severity.INFO: "text-bg-info",
}


@register.filter
def num(value) -> str:
    """A decimal without trailing zeros, in the active language: 7.1000 → '7.1', « 7,1 »."""
    if value is None or value == "":
        return ""
    return format_decimal(value).replace(".", get_format("DECIMAL_SEPARATOR"))


@register.filter
def plain_num(value) -> str:
    """A decimal without trailing zeros and with a point whatever the language, for URLs and
    form values that code reads back: 7.1000 → '7.1'."""
    if value is None or value == "":
        return ""
    return format_decimal(value)


@register.filter
def hours(value) -> str:
    """Hours as '12.0 h' (« 12,0 h »); blank when unknown."""
    if value is None:
        return ""
    return gettext("%(hours)s h") % {"hours": number_format(value, decimal_pos=1)}


@register.filter
def duration(value) -> str:
    """A waiting time as people say it: '45 min', '3 h 20 min', '2 d 4 h' (« 2 j 4 h »)."""
    if value is None:
        return ""
    minutes = round(value.total_seconds() / 60)
    if minutes < 60:
        return gettext("%(minutes)s min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        if minutes:
            return gettext("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
        return gettext("%(hours)s h") % {"hours": hours}
    days, hours = divmod(hours, 24)
    if hours:
        return gettext("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    return gettext("%(days)s d") % {"days": days}


@register.filter
def catalogue_text(value: str) -> str:
    """A catalogue text stored in English (an interaction's effect or action, marked with
    gettext_noop in monitoring/catalogue) in the active language. Not {% translate value %}:
    that doubles a bare "%" ("AUC +21 %") before the lookup, so the msgid would not match."""
    return gettext(value) if value else ""


@register.filter
def severity_badge(severity: int) -> str:
    """The badge class of a severity."""
    return SEVERITY_BADGES.get(severity, "text-bg-secondary")


@register.filter
def rule_name(code: str) -> str:
    """A rule's name as the registry gives it ('Trough above target'); the code if unknown."""
    registered = REGISTRY.get(code)
    return registered.definition.name if registered else code


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template (None when missing)."""
    return mapping.get(key)


@register.simple_tag(takes_context=True)
def show_value(context, result) -> str:
    """A result in the viewer's unit system and language: '7.1 ng/mL', '1,20 mg/dL'.

    The system comes from the `unit_system` context variable (context_processors.unit_system);
    the units shown are loaded once per request, whatever the number of values on the page."""
    system = str(context.get("unit_system") or display.SI)
    request = context.get("request")
    units = display.request_units(request, system) if request is not None else None
    value, label = display.shown_value(result, result.analyte, system, units=units)
    return display.format_value(value, label)
