"""Seed the analyte catalogue (every monitored analyte, its units and ranges) from
monitoring/catalogue/analytes.py. Clinics then edit it in the admin (audited)."""

from django.db import migrations


def seed(apps, schema_editor):
    from monitoring.catalogue.analytes import ANALYTES, SI, US

    Analyte = apps.get_model("monitoring", "Analyte")
    AnalyteUnit = apps.get_model("monitoring", "AnalyteUnit")
    for definition in ANALYTES:
        reference = definition.reference_female
        analyte, _ = Analyte.objects.update_or_create(
            code=definition.code,
            defaults={
                "loinc": definition.loinc,
                "name": definition.name_en,
                "name_fr": definition.name_fr,
                "panel": definition.panel,
                "sort_order": definition.sort_order,
                "unit": definition.canonical_unit,
                "decimal_places": definition.decimal_places,
                "reference_low_female": definition.reference_female.low,
                "reference_high_female": definition.reference_female.high,
                "reference_low_male": definition.reference_male.low,
                "reference_high_male": definition.reference_male.high,
                "reference_low_inclusive": reference.low_inclusive,
                "reference_high_inclusive": reference.high_inclusive,
                "critical_low": definition.critical.low,
                "critical_high": definition.critical.high,
                "critical_low_inclusive": definition.critical.low_inclusive,
                "critical_high_inclusive": definition.critical.high_inclusive,
                "plausible_low": definition.plausible.low,
                "plausible_high": definition.plausible.high,
                "plausible_low_inclusive": definition.plausible.low_inclusive,
                "plausible_high_inclusive": definition.plausible.high_inclusive,
                "source": definition.source,
            },
        )
        for unit in definition.units:
            AnalyteUnit.objects.update_or_create(
                analyte=analyte,
                code=unit.code,
                defaults={
                    "label": unit.label,
                    "multiply_by": unit.multiply_by,
                    "divide_by": unit.divide_by,
                    "is_si_default": SI in unit.systems,
                    "is_us_default": US in unit.systems,
                    "aliases": list(unit.aliases),
                },
            )


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0003_clinical_record")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
