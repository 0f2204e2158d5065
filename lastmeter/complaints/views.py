"""The complaint pages: the list, filing, a complaint with its actions, the letters, the officer
concerned's statement, and the complainant's own page (the figures are in stats). Thin: forms read, selectors read, ``actions.run_action`` writes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lastmeter.accounts.auth import request_scope
from lastmeter.accounts.services import log_access
from lastmeter.complaints import selectors, services
from lastmeter.complaints.actions import run_action
from lastmeter.complaints.forms import ACTION_FORMS, FileComplaintForm, StaffComplaintForm, StatementForm
from lastmeter.complaints.models import Decision, Evidence
from lastmeter.complaints.presenters import complaint_detail, complaint_row
from lastmeter.complaints.statements import (
    access_complaint_about_me,
    complaints_about_me,
    do_submit_statement,
    statement_view,
)
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.lib.forms import first_message
from lastmeter.lib.transitions import TransitionError

LETTER_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _office_only(request: HttpRequest):
    scope = request_scope(request)
    if not selectors.works_on_complaints(scope):
        raise Http404("no complaints here")
    return scope


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    qs = selectors.visible_complaints(scope)
    rows = [complaint_row(c) for c in qs.order_by("-created_at")[:300]]
    return render(
        request, "complaints/queue.html", {"rows": rows, "office": selectors.works_on_complaints(scope)}
    )


def new(request: HttpRequest) -> HttpResponse:
    """Filing: the complainant on the web (no login), or staff recording a call or a visit."""
    scope = request_scope(request)
    staff = request.user.is_authenticated and selectors.works_on_complaints(scope)
    form_class = StaffComplaintForm if staff else FileComplaintForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["channel"] = data.get("channel") or "web"
        for key, value in list(data.items()):
            if value is None and key not in ("incident_at", "officer"):
                data[key] = ""
        try:
            complaint = services.do_file_complaint(
                services.NewComplaint(**data), actor=scope.person if staff else None
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            if staff:
                messages.success(request, _("Complaint %(ref)s recorded.") % {"ref": complaint.reference})
                return redirect("complaints:detail", complaint_id=complaint.pk)
            return redirect("complaints:track", ctoken=complaint.tracking_token)
    return render(request, "complaints/new.html", {"form": form, "staff": staff})


@login_required
def detail(request: HttpRequest, complaint_id: int) -> HttpResponse:
    scope = request_scope(request)
    complaint = selectors.access_complaint_by_scope(scope, complaint_id)
    data = complaint_detail(scope, complaint)
    if data["contact_shown"]:
        log_access(scope.person, "complainant contact", complaint, "complaint page", user=request.user)
    forms = {action: ACTION_FORMS[action](prefix=action) for action in data["actions"]}
    reviewers = selectors.eligible_reviewers(complaint) if "assign" in forms else []
    if "assign" in forms:
        # Offer only the independent reviewers; the service refuses anyone else anyway.
        field = forms["assign"].fields["reviewer"]
        field.queryset = field.queryset.filter(pk__in=[p.pk for p in reviewers])  # type: ignore[attr-defined]
    return render(
        request,
        "complaints/detail.html",
        {"complaint": complaint, "data": data, "forms": forms, "reviewers": reviewers},
    )


@login_required
@require_POST
def act(request: HttpRequest, complaint_id: int, action: str) -> HttpResponse:
    scope = request_scope(request)
    selectors.access_complaint_by_scope(scope, complaint_id)
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404("no such action")
    form = form_class(request.POST, request.FILES, prefix=action)
    if not form.is_valid():
        messages.error(request, first_message(form))
        return redirect("complaints:detail", complaint_id=complaint_id)
    try:
        complaint = run_action(scope, complaint_id, action, form.cleaned_data)
    except (ServiceError, TransitionError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Done: complaint %(ref)s is now “%(state)s”.")
            % {"ref": complaint.reference, "state": complaint.get_state_display()},
        )
    if not selectors.visible_complaints(scope).filter(pk=complaint_id).exists():
        return redirect("complaints:queue")
    return redirect("complaints:detail", complaint_id=complaint_id)


def _file_response(field, content_type: str, filename: str = "") -> FileResponse:
    if not field or not field.name or not default_storage.exists(field.name):
        raise Http404("no such file")
    response = FileResponse(
        default_storage.open(field.name, "rb"),
        content_type=content_type or None,
        as_attachment=bool(filename),
        filename=filename,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def letter(request: HttpRequest, complaint_id: int, round: int) -> FileResponse:
    scope = request_scope(request)
    complaint = selectors.access_complaint_by_scope(scope, complaint_id)
    decision = Decision.objects.filter(complaint=complaint, round=round).first()
    if decision is None:
        raise Http404("no such letter")
    log_access(scope.person, "complaint reply letter", complaint, f"round {round}", user=request.user)
    return _file_response(decision.letter, LETTER_TYPE, f"{complaint.reference}-{round}.docx")


@login_required
def evidence_file(request: HttpRequest, complaint_id: int, evidence_id: int) -> FileResponse:
    scope = request_scope(request)
    complaint = selectors.access_complaint_by_scope(scope, complaint_id)
    item = Evidence.objects.filter(complaint=complaint, pk=evidence_id).first()
    if item is None:
        raise Http404("no such file")
    log_access(scope.person, "complaint evidence", complaint, f"evidence {item.pk}", user=request.user)
    return _file_response(item.file, item.content_type)


def track(request: HttpRequest, ctoken: str) -> HttpResponse:
    """The complainant's page (no login, the link sent to them privately): the progress and the
    decisions with their letters, nothing about the people handling it."""
    complaint = selectors.access_complaint_by_token(ctoken)
    return render(
        request,
        "complaints/track.html",
        {"complaint": complaint, "decisions": list(complaint.decisions.all()), "token": ctoken},
    )


def track_letter(request: HttpRequest, ctoken: str, round: int) -> FileResponse:
    complaint = selectors.access_complaint_by_token(ctoken)
    decision = Decision.objects.filter(complaint=complaint, round=round).first()
    if decision is None:
        raise Http404("no such letter")
    return _file_response(decision.letter, LETTER_TYPE, f"{complaint.reference}-{round}.docx")


@login_required
def statements(request: HttpRequest) -> HttpResponse:
    """The complaints about the viewer, each with the statement they gave or may give."""
    scope = request_scope(request)
    rows = [statement_view(c, scope) for c in complaints_about_me(scope)[:100]]
    return render(request, "complaints/statements.html", {"rows": rows})


@login_required
def statement(request: HttpRequest, complaint_id: int) -> HttpResponse:
    """The officer concerned writes their statement (404 for anyone else)."""
    scope = request_scope(request)
    complaint = access_complaint_about_me(scope, complaint_id)
    form = StatementForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                do_submit_statement(scope, complaint.pk, text=form.cleaned_data["text"])
            except ServiceError as exc:
                form.add_error(None, str(exc))
                status = 403 if isinstance(exc, NotAllowed) else 400
            else:
                messages.success(request, _("Your statement was given to the reviewer."))
                return redirect("complaints:statement", complaint_id=complaint.pk)
        else:
            status = 400
    context = {"c": statement_view(complaint, scope), "form": form}
    return render(request, "complaints/statement.html", context, status=status)
