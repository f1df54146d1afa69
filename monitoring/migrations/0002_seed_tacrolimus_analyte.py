"""Seed the analyte catalogue with the tacrolimus trough (the next issue adds the others)."""

from decimal import Decimal

from django.db import migrations


def seed(apps, schema_editor):
    Analyte = apps.get_model("monitoring", "Analyte")
    Analyte.objects.update_or_create(
        code="tacrolimus",
        defaults={
            # LOINC 77348-1 "Tacrolimus [Mass/volume] in Blood --trough": clinical-reference.md §1.1.
            "loinc": "77348-1",
            "name": "Tacrolimus trough",
            "unit": "ng/mL",
            "plausible_min": Decimal("0"),
            # Above 100 ng/mL is refused as implausible (a 7.0 typed as 70 stays under it, but
            # 70.0 typed as 700 does not): issue #2; no LN target goes above 10 (§4.3).
            "plausible_max": Decimal("100"),
        },
    )


def unseed(apps, schema_editor):
    # Results point at the analyte (PROTECT); leave the row in place on reverse.
    pass


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
