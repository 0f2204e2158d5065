"""The meetings pages: the list, scheduling, a meeting with its actions, the counter log.
Thin: forms read, selectors read, ``actions.run_action`` and the services write."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lastmeter.accounts.auth import request_scope
from lastmeter.lib.errors import ServiceError
from lastmeter.lib.forms import first_message
from lastmeter.lib.transitions import TransitionError
from lastmeter.meetings import selectors, services
from lastmeter.meetings.actions import run_action
from lastmeter.meetings.forms import ACTION_FORMS, ArrivalForm, FinishForm, NewMeetingForm


@login_required
def index(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    meetings = selectors.visible_meetings(scope)[:200]
    return render(
        request, "meetings/index.html", {"meetings": meetings, "may_organise": selectors.may_organise(scope)}
    )


@login_required
def new(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    if not selectors.may_organise(scope):
        raise Http404("no meetings here")
    communities = selectors.organisable_communities(scope)
    form = NewMeetingForm(
        request.POST or None, communities=communities, initial={"community": communities.first()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.do_schedule_meeting(
                scope,
                community=data["community"],
                title=data["title"],
                held_at=data["held_at"],
                place=data["place"],
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Meeting %(ref)s scheduled.") % {"ref": meeting.reference})
            return redirect("meetings:detail", meeting_id=meeting.pk)
    return render(request, "meetings/new.html", {"form": form})


@login_required
def detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    scope = request_scope(request)
    meeting = selectors.access_meeting_by_scope(scope, meeting_id)
    actions = selectors.available_actions(scope, meeting)
    return render(
        request,
        "meetings/detail.html",
        {
            "meeting": meeting,
            "forms": {a: ACTION_FORMS[a](prefix=a, meeting=meeting) for a in actions},
            "items": meeting.items.prefetch_related("appeals").select_related("action_item__owner"),
            "attendees": meeting.attendees.all(),
            "action_items": meeting.action_items.select_related("owner", "agenda_item", "reported_at"),
            "events": meeting.events.all(),
        },
    )


@login_required
@require_POST
def act(request: HttpRequest, meeting_id: int, action: str) -> HttpResponse:
    scope = request_scope(request)
    meeting = selectors.access_meeting_by_scope(scope, meeting_id)
    form_class = ACTION_FORMS.get(action)
    if form_class is None:
        raise Http404("no such action")
    form = form_class(request.POST, prefix=action, meeting=meeting)
    if not form.is_valid():
        messages.error(request, first_message(form))
        return redirect("meetings:detail", meeting_id=meeting_id)
    try:
        meeting = run_action(scope, meeting_id, action, form.cleaned_data)
    except (ServiceError, TransitionError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Done: meeting %(ref)s is “%(state)s”.")
            % {"ref": meeting.reference, "state": meeting.get_state_display()},
        )
    return redirect("meetings:detail", meeting_id=meeting_id)


@login_required
def counter(request: HttpRequest) -> HttpResponse:
    scope = request_scope(request)
    if not selectors.may_organise(scope):
        raise Http404("no counter here")
    communities = selectors.organisable_communities(scope)
    form = ArrivalForm(
        request.POST or None, communities=communities, initial={"community": communities.first()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.do_log_arrival(
                scope,
                community=data["community"],
                kind=data["kind"],
                matter=data["matter"],
                visitor=data["visitor"],
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Arrival logged."))
            return redirect("meetings:counter")
    visits = selectors.visible_counter_visits(scope)
    return render(
        request,
        "meetings/counter.html",
        {
            "form": form,
            "finish_form": FinishForm(),
            "visits": visits[:100],
            "figures": selectors.counter_figures(visits),
        },
    )


@login_required
@require_POST
def counter_step(request: HttpRequest, visit_id: int, step: str) -> HttpResponse:
    scope = request_scope(request)
    if not selectors.may_organise(scope):
        raise Http404("no counter here")
    form = FinishForm(request.POST)
    try:
        if step == "serve":
            services.do_serve(scope, visit_id)
        elif step == "finish" and form.is_valid():
            services.do_finish(scope, visit_id, outcome=form.cleaned_data["outcome"])
        else:
            raise Http404("no such step")
    except ServiceError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Counter log updated."))
    return redirect("meetings:counter")


@login_required
def minutes_print(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The minutes as a document to print or save as PDF (A4, print CSS): attendees, agenda,
    minutes, decisions with their owners and due dates. Always in Chinese: it is the record that
    is filed and handed to the departments, whatever language the reader's screen is in."""
    meeting = selectors.access_meeting_by_scope(request_scope(request), meeting_id)
    with translation.override(settings.LANGUAGE_CODE):
        return render(
            request,
            "meetings/print.html",
            {
                "meeting": meeting,
                "items": meeting.items.prefetch_related("appeals").select_related("action_item"),
                "attendees": meeting.attendees.select_related("department").order_by("kind", "name"),
                "decisions": meeting.action_items.select_related("owner", "department", "agenda_item"),
                "reported": meeting.reports_heard.select_related("owner", "meeting"),
            },
        )
