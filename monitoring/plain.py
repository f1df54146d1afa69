"""Plain-language words for the patient portal: what each test is for, how to prepare.

Written for patients (issue #5); no thresholds here, only explanations."""

WHAT_FOR = {
    "tacrolimus": "How much tacrolimus is in your blood, so the dose keeps it in your target.",
    "creatinine": "How well your kidneys filter the blood (tacrolimus can strain them).",
    "egfr": "Your kidney filtering rate, worked out from creatinine, age and sex.",
    "glucose-fasting": "Your blood sugar after a night without food (tacrolimus can raise it).",
    "glucose-random": "Your blood sugar at the time of the test.",
    "hba1c": "Your average blood sugar over the last three months.",
    "haemoglobin": "The part of red blood cells that carries oxygen (checks for anaemia).",
    "haematocrit": "How much of your blood is made of red cells.",
    "mcv": "The size of your red blood cells.",
    "wbc": "White blood cells, which fight infections.",
    "neutrophils": "The white blood cells that fight bacteria.",
    "lymphocytes": "The white blood cells of the immune memory (often low in lupus).",
    "eosinophils": "White blood cells linked to allergies.",
    "platelets": "The cells that help your blood clot.",
    "alt": "A liver enzyme: a high value can mean the liver is irritated.",
    "ast": "Another liver enzyme, read together with ALT.",
    "alkaline-phosphatase": "An enzyme of the liver and bones.",
    "ggt": "A liver enzyme that also reacts to alcohol and some medicines.",
    "albumin": "The main protein of the blood, made by the liver.",
    "uric-acid": "A waste product that tacrolimus can raise (it can cause gout).",
    "potassium": "A salt the heart and muscles need; tacrolimus can raise it.",
    "magnesium": "A mineral tacrolimus can lower.",
    "upcr": "How much protein leaks into your urine: how active the lupus is in the kidneys.",
    "bp-systolic": "The top number of your blood pressure.",
    "bp-diastolic": "The bottom number of your blood pressure.",
}

# How to prepare for a test, by monitoring test (monitoring/schedule.py TESTS).
PREPARE = {
    "trough": "Take your morning tacrolimus after the blood draw, not before, and note when "
    "you took the evening dose the day before.",
    "glucose": "Do not eat for 8 hours before the test (water is fine).",
}
