"""The FHIR R4 (4.0.1) API under /fhir/R4/ (issue #6): JSON only, plain dicts built from the
models (no validation library at runtime; the tests validate every resource type with
fhir.resources).

What maps to what:
- Patient ← Patient. The MRN is an identifier whose system is `urn:tdm-tracker:clinic:<clinic
  code>` (the clinic is the MRN's assigning authority); gender F → female, M → male.
- Observation ← LabResult. Status is ResultStatus (already FHIR codes); the value is in the
  analyte's canonical unit (UCUM); a censored value carries `comparator`; the reference range
  is the lab's own when stored, else the analyte's sex-specific default; interpretation is
  LabResult.flag (H, L, HH, LL; N when in range). Entered-in-error results are read by id
  with that status and left out of searches unless `status=entered-in-error` is asked.
- MedicationStatement ← Regimen (tacrolimus, id `regimen-<pk>`) and Medication (concomitant
  medicines, id `medication-<pk>`). Status: entered-in-error; stopped once the end date has
  passed; intended before the start date; else active. No drug coding: the models hold none.
- DetectedIssue ← Alert. Status: open → preliminary (not yet reviewed by a doctor);
  acknowledged and resolved → final, the difference carried by `mitigation` (the doctor's
  decision, or the resolution). Severity: critical and urgent → high, warning → moderate,
  info → low. `implicated` is the alert's result (the only evidence an alert links to).

Who sees what is exactly what the pages show: Patient.objects.visible_to(user). Patients and
family see released results only (LabResult.objects.released(), as the portal) and no
DetectedIssue at all: the portal shows them no alerts, so their searches return an empty
Bundle and a read is a 404. A family member's reads (session only: family accounts have no
tokens) are recorded on their share, as the pages do.
"""
