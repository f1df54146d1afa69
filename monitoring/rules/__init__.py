"""Alert rules: pure functions over plain data, registered with their default settings.

Each family lives in its own module; importing this package registers them all. Every
threshold cites ../shared/clinical-reference.md or a guideline, and is a default that a clinic
can change (RuleSetting in the admin, audited).
"""

from . import dosing, ecg, glucose, kidney, labs, record, schedule, trough  # noqa: F401
from .base import (
    REGISTRY,
    Event,
    Finding,
    LabContext,
    Point,
    RuleDef,
    Setting,
    Text,
    default_setting,
    most_specific,
    render_text,
    rule,
)

__all__ = [
    "REGISTRY",
    "Event",
    "Finding",
    "LabContext",
    "Point",
    "RuleDef",
    "Setting",
    "Text",
    "default_setting",
    "most_specific",
    "render_text",
    "rule",
]
