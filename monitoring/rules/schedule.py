"""Overdue monitoring tests (clinical-reference.md A4, BSR/BHPR 2017 [S45]): overdue →
warning; overdue by 14 more days → urgent. The due dates come from monitoring/schedule.py."""

from __future__ import annotations

from ..models.alerts import Severity
from .base import Event, Finding, PatientContext, Setting, rule


@rule(
    "test-overdue",
    name="Monitoring test overdue",
    family="schedule",
    severity=Severity.WARNING,
    source="clinical-reference.md A4 (BSR/BHPR 2017 [S45]; source text)",
    # Overdue by more than this many days: urgent (A4).
    params={"urgent_after_days": "14"},
    event=Event.RECORD,
)
def test_overdue(ctx: PatientContext, setting: Setting) -> list[Finding]:
    findings = []
    for due in ctx.dues:
        late = due.days_overdue(ctx.today)
        if late <= 0:
            continue
        urgent = late > setting["urgent_after_days"]
        findings.append(
            Finding(
                setting.code,
                Severity.URGENT if urgent else setting.severity,
                f"{due.name} overdue by {late} day{'s' if late != 1 else ''} "
                f"(due {due.due_on:%d %b %Y}: {due.reason})",
                subject=f"overdue:{due.test}",
            )
        )
    return findings
