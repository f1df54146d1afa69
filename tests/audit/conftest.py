"""The clinic administrator who reads the access log, and a grant of break-glass access."""

import pytest

from monitoring import services
from monitoring.models import Role
from tests.factories import UserFactory

REASON = "Admitted to our emergency ward, unconscious, on tacrolimus"


@pytest.fixture
def clinic_admin(clinic):
    return UserFactory(username="admin", role=Role.ADMIN, is_staff=True, clinics=[clinic])


@pytest.fixture
def break_glass(doctor, patient_other):
    """The doctor of Demo Rheumatology opens David Garnier (Lyon) for an emergency."""

    def grant(reason=REASON):
        return services.grant_break_glass(
            doctor=doctor, clinic_code="lyon-lupus", mrn="LY-2001", reason=reason
        )

    return grant
