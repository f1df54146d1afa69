"""Overdue monitoring tests (clinical-reference.md A4, BSR/BHPR 2017 [S45]): overdue →
warning; overdue by 14 more days → urgent. The due dates come from monitoring/schedule.py."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from ..models.alerts import Severity
from .base import Event, Finding, PatientContext, Setting, Text, on, rule


@rule(
    "test-overdue",
    name=_("Monitoring test overdue"),
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
                Text(
                    gettext_noop("%(test)s overdue by %(late)s (due %(due_on)s: %(reason)s)"),
                    {
                        # The test's name is a msgid (schedule.TESTS); the reason is a Text
                        # too when schedule.due_dates made it.
                        "test": Text(due.name),
                        "late": Text.ngettext("%(count)s day", "%(count)s days", late),
                        "due_on": on(due.due_on),
                        "reason": due.reason_text or due.reason,
                    },
                ),
                subject=f"overdue:{due.test}",
            )
        )
    return findings
