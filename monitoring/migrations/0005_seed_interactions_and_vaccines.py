"""Seed the interaction catalogue (clinical-reference.md §5) and the vaccine catalogue (§7.3)
from monitoring/catalogue/. Clinics then edit them in the admin (audited)."""

from django.db import migrations


def seed(apps, schema_editor):
    from monitoring.catalogue.interactions import INTERACTIONS
    from monitoring.catalogue.vaccines import VACCINES

    InteractingIngredient = apps.get_model("monitoring", "InteractingIngredient")
    Vaccine = apps.get_model("monitoring", "Vaccine")
    for item in INTERACTIONS:
        InteractingIngredient.objects.update_or_create(
            code=item.code,
            defaults={
                "ingredient": item.ingredient,
                "names": list(item.names),
                "drug_class": item.drug_class,
                "mechanism": item.mechanism,
                "effect": item.effect,
                "effect_text": item.effect_text,
                "severity": item.severity,
                "action": item.action,
                "recheck_days": item.recheck_days,
                "source": item.source,
            },
        )
    for vaccine in VACCINES:
        Vaccine.objects.update_or_create(
            code=vaccine.code,
            defaults={
                "name": vaccine.name,
                "names": list(vaccine.names),
                "is_live": vaccine.is_live,
                "source": vaccine.source,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0004_seed_analyte_catalogue")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
