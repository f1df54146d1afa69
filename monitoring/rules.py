"""Alert rules: pure functions over values and targets, no database.

Each rule returns a `Finding` (or None); `services.record_result` turns findings into alerts.
Every threshold cites ../shared/clinical-reference.md (the clinic's reference) or a guideline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from .models import Severity, format_decimal

# Trough above this is urgent whatever the target: about twice the top of the 6–8 band; no
# published panic value exists. Source: clinical-reference.md A1 and §1.2 (tacrolimus row).
TROUGH_URGENT_ABOVE = Decimal("15")

TROUGH_SOURCE = "clinical-reference.md A1 (target band 6–8 ng/mL; > 15 ng/mL urgent)"


class RuleCode:
    TROUGH_BELOW_TARGET = "trough-below-target"
    TROUGH_ABOVE_TARGET = "trough-above-target"
    TROUGH_URGENT_HIGH = "trough-urgent-high"


@dataclass(frozen=True)
class Finding:
    rule_code: str
    severity: Severity
    message: str
    source: str
    params: dict = field(default_factory=dict)


def evaluate_trough(value: Decimal, *, low: Decimal, high: Decimal, unit: str) -> Finding | None:
    """Compare a tacrolimus trough with the target band in force at sampling time.

    Below the band → warning "subtherapeutic"; above → warning "supratherapeutic";
    above 15 ng/mL → urgent (clinical-reference.md A1). Values on the band edges are in range.
    """
    params = {
        "target_low": str(low),
        "target_high": str(high),
        "urgent_above": str(TROUGH_URGENT_ABOVE),
        "unit": unit,
    }
    shown = f"{format_decimal(value)} {unit}"
    band = f"{format_decimal(low)}–{format_decimal(high)} {unit}"
    if value > TROUGH_URGENT_ABOVE:
        return Finding(
            RuleCode.TROUGH_URGENT_HIGH,
            Severity.URGENT,
            f"Tacrolimus trough {shown} is above {format_decimal(TROUGH_URGENT_ABOVE)} {unit}: "
            f"risk of toxicity (target {band})",
            TROUGH_SOURCE,
            params,
        )
    if value > high:
        return Finding(
            RuleCode.TROUGH_ABOVE_TARGET,
            Severity.WARNING,
            f"Tacrolimus trough {shown} is above the target {band} (supratherapeutic)",
            TROUGH_SOURCE,
            params,
        )
    if value < low:
        return Finding(
            RuleCode.TROUGH_BELOW_TARGET,
            Severity.WARNING,
            f"Tacrolimus trough {shown} is below the target {band} (subtherapeutic)",
            TROUGH_SOURCE,
            params,
        )
    return None
