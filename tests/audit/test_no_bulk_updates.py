"""Audited models change only through save(), which writes their history row: a bulk
`.update()`, `.bulk_update()`, `.bulk_create()` or `.delete()` would change them without one.
Every such call in monitoring/ names a model without history, or carries
`# audit-exempt: <why>` on its line(s)."""

import ast
import re
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2] / "monitoring"
BULK_METHODS = {"update", "bulk_update", "bulk_create", "delete"}
EXEMPT = re.compile(r"#\s*audit-exempt:\s*\S")
# Receivers that are ORM querysets or managers, not dicts: `X.objects`, a filter chain, a
# related manager (`patient.alerts`).
QUERYSET_HINTS = re.compile(r"\.objects\b|\.filter\(|\.exclude\(|\.all\(\)|_set\b")


def audited_models():
    models = apps.get_app_config("monitoring").get_models()
    return {m for m in models if hasattr(m, "history") and not m.__name__.startswith("Historical")}


def related_managers(audited) -> set[str]:
    """Names like `alerts` in `patient.alerts.update(...)`: reverse accessors to audited
    models."""
    names = set()
    for model in apps.get_app_config("monitoring").get_models():
        for rel in model._meta.related_objects:
            if rel.related_model in audited and rel.get_accessor_name():
                names.add(rel.get_accessor_name())
    return names


def bulk_writes(source: str, audited_names: set[str], managers: set[str]):
    """(line number, receiver) of each unexempted bulk write in `source` that may touch an
    audited model."""
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in BULK_METHODS:
            continue
        receiver = ast.get_source_segment(source, node.func.value) or ""
        is_orm = (
            node.func.attr != "update"
            or QUERYSET_HINTS.search(receiver)
            or any(re.search(rf"\.{name}\b", receiver) for name in managers)
        )
        if not is_orm:
            continue  # dict.update()
        named = set(re.findall(r"\b([A-Z]\w+)\.objects\b", receiver))
        if named and not named & audited_names:
            continue  # a model without history (the access log has its own guard)
        statement = lines[node.lineno - 1 : node.end_lineno]
        if not any(EXEMPT.search(line) for line in statement):
            found.append((node.lineno, receiver))
    return found


def test_no_audited_model_is_changed_in_bulk_without_a_reason():
    audited = audited_models()
    names = {m.__name__ for m in audited}
    managers = related_managers(audited)
    offences = []
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for line, receiver in bulk_writes(path.read_text(), names, managers):
            offences.append(f"{path.relative_to(ROOT.parent)}:{line}: {receiver}")

    assert offences == []


def test_the_check_catches_bulk_writes_and_lets_reasons_and_dicts_through():
    # The check itself, on sample code: it must fail where it should.
    names, managers = {"Alert", "LabResult"}, {"alerts"}
    source = "\n".join(
        [
            "Alert.objects.filter(pk=1).update(status='closed')",
            "patient.alerts.update(status='closed')",
            "LabResult.objects.filter(pk=1).delete()",
            "LabResult.objects.bulk_create(rows)",
            "Alert.objects.filter(pk=1).update(x=1)  # audit-exempt: demo data",
            "params.update({'a': 1})",
            "AccessEvent.objects.bulk_create(events)",
        ]
    )

    assert [line for line, _receiver in bulk_writes(source, names, managers)] == [1, 2, 3, 4]
