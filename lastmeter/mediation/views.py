"""The mediation pages: the case list, opening a case, a case with its actions, the figures.
Thin: forms read, selectors read, ``actions.run_action`` and the services write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lastmeter.accounts.auth import request_scope
from lastmeter.accounts.services import log_access
from lastmeter.appeals.models import Appeal
from lastmeter.lib.errors import ServiceError
from lastmeter.lib.forms import first_message
from lastmeter.lib.transitions import TransitionError
from lastmeter.mediation import selectors, services
from lastmeter.mediation.actions import run_action
from lastmeter.mediation.forms import ACTION_FORMS, NewCaseForm


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    cases = selectors.visible_cases(scope)[:300]
    return render(
        request, "mediation/queue.html", {"cases": cases, "may_open": selectors.may_open_cases(scope)}
    )


@login_required
def new(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    if not selectors.may_open_cases(scope):
        raise Http404("no mediation here")
    form = NewCaseForm(
        request.POST or None,
        initial={"mediator": scope.person, "community": next(iter(scope.community_ids), None)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        appeal = None
        if data["appeal_reference"].strip():
            appeal = Appeal.objects.filter(reference=data["appeal_reference"].strip()).first()
        parties = [
            services.NewParty(data[f"{side}_name"], side, data[f"{side}_phone"])
            for side in ("applicant", "respondent")
            if data[f"{side}_name"].strip()
        ]
        try:
            if data["appeal_reference"].strip() and appeal is None:
                raise ServiceError(
                    _("No appeal has the reference %(ref)s.") % {"ref": data["appeal_reference"]}
                )
            case = services.do_open_case(
                scope,
                services.NewCase(
                    dispute_type=data["dispute_type"],
                    summary=data["summary"],
                    mediator=data["mediator"],
                    mediator_kind=data["mediator_kind"],
                    appeal=appeal,
                    community=data["community"],
                    address=data["address"],
                    parties=parties,
                ),
            )
        except Http404:
            form.add_error(
                "appeal_reference",
                _("No appeal has the reference %(ref)s.") % {"ref": data["appeal_reference"]},
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Mediation case %(ref)s opened.") % {"ref": case.reference})
            return redirect("mediation:detail", case_id=case.pk)
    return render(request, "mediation/new.html", {"form": form})


@login_required
def detail(request: HttpRequest, case_id: int) -> HttpResponse:
    scope = request_scope(request)
    case = selectors.access_case_by_scope(scope, case_id)
    # The page shows the parties' phone numbers to the people handling the case.
    log_access(scope.person, "mediation parties", case, "mediation case page", user=request.user)
    actions = selectors.available_actions(scope, case)
    forms = {a: ACTION_FORMS[a](prefix=a, case=case) for a in actions}
    agreement = getattr(case, "agreement", None)
    return render(
        request,
        "mediation/detail.html",
        {
            "case": case,
            "forms": forms,
            "parties": case.parties.all(),
            "sessions": case.sessions.all(),
            "agreement": agreement,
            "confirmed": set(agreement.confirmations.values_list("party_id", flat=True))
            if agreement
            else set(),
            "follow_ups": case.follow_ups.all(),
            "recurrences": case.recurrences.select_related("appeal"),
            "events": case.events.all(),
        },
    )


@login_required
@require_POST
def act(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    scope = request_scope(request)
    case = selectors.access_case_by_scope(scope, case_id)
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404("no such action")
    form = form_class(request.POST, prefix=action, case=case)
    if not form.is_valid():
        messages.error(request, first_message(form))
        return redirect("mediation:detail", case_id=case_id)
    try:
        case = run_action(scope, case_id, action, form.cleaned_data)
    except (ServiceError, TransitionError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Done: mediation case %(ref)s is “%(state)s”.")
            % {"ref": case.reference, "state": case.get_state_display()},
        )
    return redirect("mediation:detail", case_id=case_id)
