"""The duty pages (posts, their hours and shifts, the roster check, who is on post) and the joint
campaigns (list, new, a campaign with its results and before/after figure). Thin: forms read,
selectors read, services write."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from lastmeter.accounts.auth import request_scope
from lastmeter.accounts.selectors import Scope
from lastmeter.duty import selectors, services
from lastmeter.duty.choices import CAMPAIGN_TRANSITIONS
from lastmeter.duty.forms import (
    AssignForm,
    CampaignForm,
    DayForm,
    DraftForm,
    HoursForm,
    MoveForm,
    PostForm,
    ResultForm,
)
from lastmeter.lib.errors import ServiceError
from lastmeter.lib.forms import first_message
from lastmeter.lib.transitions import TransitionError


def viewer(request: HttpRequest) -> Scope:
    scope = request_scope(request)
    if not selectors.may_view(scope):
        raise Http404("no duty here")
    return scope


@login_required
def index(request: HttpRequest) -> HttpResponse:
    scope = viewer(request)
    day_form = DayForm(request.GET or None)
    day = timezone.localdate()
    if day_form.is_valid() and day_form.cleaned_data["day"]:
        day = day_form.cleaned_data["day"]
    return render(
        request,
        "duty/index.html",
        {
            "posts": selectors.visible_posts(scope),
            "gaps": selectors.roster_gaps(scope, day),
            "day": day,
            "day_form": day_form if day_form.is_bound else DayForm(initial={"day": day}),
            "on_post": selectors.on_post_now(scope),
            "may_plan": selectors.may_plan(scope),
        },
    )


@login_required
def new_post(request: HttpRequest) -> HttpResponse:
    scope = viewer(request)
    if not selectors.may_plan(scope):
        raise Http404("no duty planning here")
    form = PostForm(request.POST or None, initial={"community": next(iter(scope.community_ids), None)})
    if request.method == "POST" and form.is_valid():
        try:
            post = services.do_create_post(scope, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Duty post %(name)s created.") % {"name": post.name})
            return redirect("duty:post", post_id=post.pk)
    return render(request, "duty/new_post.html", {"form": form})


@login_required
def post_detail(request: HttpRequest, post_id: int) -> HttpResponse:
    scope = viewer(request)
    post = selectors.access_post_by_scope(scope, post_id)
    return render(
        request,
        "duty/post.html",
        {
            "post": post,
            "assignments": post.assignments.select_related("shift__person", "unit"),
            "may_plan": selectors.may_plan(scope, post.community_id),
            "draft_form": DraftForm(prefix="draft"),
            "hours_form": HoursForm(prefix="hours"),
            "assign_form": AssignForm(prefix="assign"),
        },
    )


@login_required
@require_POST
def post_act(request: HttpRequest, post_id: int, action: str) -> HttpResponse:
    scope = viewer(request)
    selectors.access_post_by_scope(scope, post_id)
    forms = {"draft": DraftForm, "hours": HoursForm, "assign": AssignForm}
    if action not in forms:
        raise Http404("no such action")
    form = forms[action](request.POST, prefix=action)
    if not form.is_valid():
        messages.error(request, first_message(form))
        return redirect("duty:post", post_id=post_id)
    data = form.cleaned_data
    try:
        if action == "draft":
            made = services.do_draft_hours(
                scope, post_id, since=timezone.now() - timedelta(days=data["days"])
            )
            messages.success(request, _("Drafted %(n)d staffed windows from the figures.") % {"n": len(made)})
        elif action == "hours":
            services.do_set_hours(scope, post_id, **data)
            messages.success(request, _("Staffed hours added."))
        else:
            services.do_assign_shift(scope, post_id, **data)
            messages.success(request, _("Shift assigned to the post."))
    except ServiceError as exc:
        messages.error(request, str(exc))
    return redirect("duty:post", post_id=post_id)


# --- joint campaigns -----------------------------------------------------------------------------


@login_required
def campaigns(request: HttpRequest) -> HttpResponse:
    scope = viewer(request)
    return render(
        request,
        "duty/campaigns.html",
        {"campaigns": selectors.visible_campaigns(scope), "may_plan": selectors.may_plan(scope)},
    )


@login_required
def new_campaign(request: HttpRequest) -> HttpResponse:
    scope = viewer(request)
    if not selectors.may_plan(scope):
        raise Http404("no campaigns here")
    form = CampaignForm(request.POST or None, initial={"community": next(iter(scope.community_ids), None)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.do_create_campaign(
                scope,
                services.NewCampaign(
                    name=data["name"],
                    community=data["community"],
                    target=data["target"],
                    category=data["category"],
                    lat=data["lat"],
                    lon=data["lon"],
                    radius_m=data["radius_m"],
                    area=data["area"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    agencies=data["agencies"],
                    units=list(data["units"]),
                ),
            )
        except ServiceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Campaign %(name)s created.") % {"name": campaign.name})
            return redirect("duty:campaign", campaign_id=campaign.pk)
    return render(request, "duty/new_campaign.html", {"form": form})


@login_required
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    scope = viewer(request)
    campaign = selectors.access_campaign_by_scope(scope, campaign_id)
    return render(
        request,
        "duty/campaign.html",
        {
            "campaign": campaign,
            "results": campaign.results.all(),
            "totals": selectors.campaign_totals(campaign),
            "figure": selectors.before_after(scope, campaign),
            "units": campaign.units.all(),
            "may_plan": selectors.may_plan(scope, campaign.community_id),
            "moves": sorted(CAMPAIGN_TRANSITIONS[campaign.state]),
            "result_form": ResultForm(initial={"day": min(timezone.localdate(), campaign.ends_on)}),
        },
    )


@login_required
@require_POST
def campaign_result(request: HttpRequest, campaign_id: int) -> HttpResponse:
    scope = viewer(request)
    selectors.access_campaign_by_scope(scope, campaign_id)
    form = ResultForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_message(form))
    else:
        try:
            services.do_enter_result(scope, campaign_id, **form.cleaned_data)
        except ServiceError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Results of %(day)s saved.") % {"day": form.cleaned_data["day"]})
    return redirect("duty:campaign", campaign_id=campaign_id)


@login_required
@require_POST
def campaign_move(request: HttpRequest, campaign_id: int) -> HttpResponse:
    scope = viewer(request)
    selectors.access_campaign_by_scope(scope, campaign_id)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, first_message(form))
    else:
        try:
            campaign = services.do_move_campaign(scope, campaign_id, form.cleaned_data["target"])
        except (ServiceError, TransitionError) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("Campaign is now “%(state)s”.") % {"state": campaign.get_state_display()}
            )
    return redirect("duty:campaign", campaign_id=campaign_id)
