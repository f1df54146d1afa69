"""The patient's sharing page and family invitations, and the patient's report of their last
dose time (with the suggestion staff see from it)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import services
from ..forms import add_service_errors
from ..forms.sharing import AcceptInvitationForm, DoseTimeReportForm, InvitationForm
from ..models import INVITATION_VALIDITY, DoseTimeReport, Invitation, Patient, Role, Share
from .access import _get_invitation_for_user, role_required

# Invitations that are no longer pending stay listed (greyed) this many at most.
PAST_INVITATIONS_SHOWN = 20


@role_required(Role.PATIENT)
def sharing(request: HttpRequest) -> HttpResponse:
    """Who can see the patient's results, when each last looked, and the invitations sent."""
    patient = Patient.objects.visible_to(request.user).first()
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and patient and form.is_valid():
        try:
            invitation, _token = services.invite_family_member(
                patient=patient,
                email=form.cleaned_data["email"],
                invited_by=request.user,
                share_expires_at=form.share_expires_at,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s. The link works once, for %(days)s days.")
                % {"email": invitation.email, "days": INVITATION_VALIDITY.days},
            )
            return redirect("monitoring:sharing")
    now = timezone.now()
    # Grouped by the access count: Django drops Meta.ordering there, so order explicitly.
    shares = (
        Share.objects.filter(patient__user=request.user)
        .select_related("grantee")
        .with_access_summary()
        .order_by("-created_at")
    )
    invitations = [
        {"invitation": invitation, "status": invitation.status_at(now)}
        for invitation in Invitation.objects.filter(
            patient__user=request.user, accepted_at__isnull=True
        ).order_by("-created_at")[:PAST_INVITATIONS_SHOWN]
    ]
    context = {
        "shares": shares,
        "invitations": invitations,
        "form": form if patient else None,
        "invitation_days": INVITATION_VALIDITY.days,
    }
    return render(request, "monitoring/sharing.html", context)


@role_required(Role.PATIENT)
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    invitation = _get_invitation_for_user(request.user, invitation_id)
    try:
        services.revoke_invitation(invitation=invitation, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("The invitation to %(email)s is withdrawn: its link no longer works.")
            % {"email": invitation.email},
        )
    return redirect("monitoring:sharing")


def _refusal(request: HttpRequest, status: str | None) -> HttpResponse:
    """A link that cannot be used: say why, and nothing about the patient."""
    reasons = {
        Invitation.Status.ACCEPTED: _(
            "This invitation has already been used. If it was you, sign in to see the "
            "shared results."
        ),
        Invitation.Status.REVOKED: _("This invitation was withdrawn by the person who sent it."),
        Invitation.Status.EXPIRED: _(
            "This invitation has expired. Ask the person who invited you to send a new one."
        ),
    }
    reason = reasons.get(status)
    if reason is None:
        reason = _(
            "This invitation link is not valid. Check that you opened the whole link from "
            "the e-mail."
        )
    context = {"refusal": reason}
    return render(
        request, "monitoring/invitation_accept.html", context, status=410 if status else 404
    )


@login_not_required
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Open an invitation link: choose a username and password (or, signed in as a family
    member, just accept) to receive a share. The link works once."""
    invitation = (
        Invitation.objects.select_related("patient")
        .filter(token_hash=Invitation.hash_token(token))
        .first()
    )
    if invitation is None:
        return _refusal(request, None)
    if not invitation.is_pending:
        return _refusal(request, invitation.status)
    user = request.user
    context = {"invitation": invitation, "first_name": invitation.patient.first_name}
    if user.is_authenticated and user.role != Role.FAMILY:
        return render(
            request,
            "monitoring/invitation_accept.html",
            {**context, "wrong_account": True},
            status=403,
        )
    form = None if user.is_authenticated else AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            if form is None:
                share = services.accept_invitation(invitation=invitation, user=user)
            else:
                share = services.accept_invitation(
                    invitation=invitation,
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password1"],
                    first_name=form.cleaned_data["first_name"],
                )
        except ValidationError as error:
            code = getattr(error, "code", None)
            if code in Invitation.Status.values:  # used or withdrawn meanwhile
                return _refusal(request, code)
            if form is None:
                messages.error(request, " ".join(error.messages))
            else:
                add_service_errors(form, error)
        else:
            if form is not None:
                # Named: django-axes adds a second authentication backend.
                login(request, share.grantee, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("You can now see the results %(first_name)s shares with you.")
                % {"first_name": invitation.patient.first_name},
            )
            return redirect("monitoring:patient_chart", patient_id=share.patient_id)
    return render(request, "monitoring/invitation_accept.html", {**context, "form": form})


# --- The last dose time, reported by the patient ---------------------------------------------


@role_required(Role.PATIENT)
def report_last_dose(request: HttpRequest) -> HttpResponse:
    """The patient says when they took their last tacrolimus dose, before a blood draw."""
    patient = get_object_or_404(Patient.objects.visible_to(request.user))
    form = DoseTimeReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = services.report_last_dose(
                patient=patient, taken_at=form.taken_at, entered_by=request.user
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Thank you: your care team will see that you took your last dose at %(when)s.")
                % {"when": taken_when(report)},
            )
            return redirect("monitoring:patient_chart", patient_id=patient.pk)
    return render(request, "monitoring/report_last_dose.html", {"form": form, "patient": patient})


def taken_when(report: DoseTimeReport) -> str:
    """ "20:05 yesterday", in the active language."""
    local = timezone.localtime(report.taken_at)
    time = formats.time_format(local, "H:i")
    today = timezone.localdate()
    if local.date() == today:
        return _("%(time)s today") % {"time": time}
    if local.date() == today - dt.timedelta(days=1):
        return _("%(time)s yesterday") % {"time": time}
    return _("%(time)s on %(date)s") % {
        "time": time,
        "date": formats.date_format(local.date(), "j F"),
    }


def dose_report_context(patient: Patient, *, with_form: bool = False) -> dict:
    """The patient's latest report of their last dose time (within 48 h), for the patient
    home and for the staff pages where the dose time is typed; and the form on the home."""
    report = patient.dose_reports.recent().select_related("entered_by").first()
    context = {"dose_report": report, "dose_report_when": taken_when(report) if report else ""}
    if with_form:
        context["dose_form"] = DoseTimeReportForm()
    return context


def reported_dose_initial(request: HttpRequest, report: DoseTimeReport | None) -> dict:
    """The nurse clicked "Use this time": prefill the last-dose field with the reported time.
    She still checks it and saves the form herself; nothing is used without that."""
    if report and request.GET.get("last_dose") == "reported":
        return {"last_dose_at": timezone.localtime(report.taken_at)}
    return {}
