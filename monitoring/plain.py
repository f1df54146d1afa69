"""Plain-language words for the patient portal: what each test is for, how to prepare.

Written for patients (issue #5); no thresholds here, only explanations."""

from django.utils.translation import gettext_lazy as _

WHAT_FOR = {
    "tacrolimus": _("How much tacrolimus is in your blood, so the dose keeps it in your target."),
    "creatinine": _("How well your kidneys filter the blood (tacrolimus can strain them)."),
    "egfr": _("Your kidney filtering rate, worked out from creatinine, age and sex."),
    "glucose-fasting": _("Your blood sugar after a night without food (tacrolimus can raise it)."),
    "glucose-random": _("Your blood sugar at the time of the test."),
    "hba1c": _("Your average blood sugar over the last three months."),
    "haemoglobin": _("The part of red blood cells that carries oxygen (checks for anaemia)."),
    "haematocrit": _("How much of your blood is made of red cells."),
    "mcv": _("The size of your red blood cells."),
    "wbc": _("White blood cells, which fight infections."),
    "neutrophils": _("The white blood cells that fight bacteria."),
    "lymphocytes": _("The white blood cells of the immune memory (often low in lupus)."),
    "eosinophils": _("White blood cells linked to allergies."),
    "platelets": _("The cells that help your blood clot."),
    "alt": _("A liver enzyme: a high value can mean the liver is irritated."),
    "ast": _("Another liver enzyme, read together with ALT."),
    "alkaline-phosphatase": _("An enzyme of the liver and bones."),
    "ggt": _("A liver enzyme that also reacts to alcohol and some medicines."),
    "albumin": _("The main protein of the blood, made by the liver."),
    "uric-acid": _("A waste product that tacrolimus can raise (it can cause gout)."),
    "potassium": _("A salt the heart and muscles need; tacrolimus can raise it."),
    "magnesium": _("A mineral tacrolimus can lower."),
    "upcr": _("How much protein leaks into your urine: how active the lupus is in the kidneys."),
    "bp-systolic": _("The top number of your blood pressure."),
    "bp-diastolic": _("The bottom number of your blood pressure."),
}

# How to prepare for a test, by monitoring test (monitoring/schedule.py TESTS).
PREPARE = {
    "trough": _(
        "Take your morning tacrolimus after the blood draw, not before, and note when "
        "you took the evening dose the day before."
    ),
    "glucose": _("Do not eat for 8 hours before the test (water is fine)."),
}
