"""factory_boy factories for the clinical models; conftest.py exposes the named world."""

import datetime as dt

import factory
from django.utils import timezone

from monitoring.models import Alert, Clinic, Patient, Role, Severity, Sex, Share, User

PASSWORD = "correct-horse-battery-staple"


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Clinic {n}")
    code = factory.Sequence(lambda n: f"clinic-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = factory.Sequence(lambda n: f"Last{n}")
    role = Role.NURSE
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def clinics(self, create, extracted, **kwargs):
        if create and extracted:
            self.clinics.add(*extracted)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    clinic = factory.SubFactory(ClinicFactory)
    mrn = factory.Sequence(lambda n: f"MRN-{n:05d}")
    first_name = factory.Sequence(lambda n: f"Patientfirst{n}")
    last_name = factory.Sequence(lambda n: f"Patientlast{n}")
    date_of_birth = dt.date(1990, 5, 17)
    sex = Sex.FEMALE
    user = factory.SubFactory(UserFactory, role=Role.PATIENT)


class ShareFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Share

    patient = factory.SubFactory(PatientFactory)
    grantee = factory.SubFactory(UserFactory, role=Role.FAMILY)


class AlertFactory(factory.django.DjangoModelFactory):
    """For alerts no rule raises yet (info); rule alerts come from services.record_result."""

    class Meta:
        model = Alert

    patient = factory.SubFactory(PatientFactory)
    rule_code = factory.Sequence(lambda n: f"test-rule-{n}")
    severity = Severity.INFO
    message = factory.Sequence(lambda n: f"Informational note {n}")
    first_raised_at = factory.LazyFunction(timezone.now)
    last_raised_at = factory.LazyFunction(timezone.now)
