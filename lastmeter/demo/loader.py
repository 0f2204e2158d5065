"""The demo jurisdiction on the real road network of central Shanghai (People's Square).

Everything here is invented for the demo (people, phone numbers, appeals), written for this
project; the streets are real (© OpenStreetMap contributors, ODbL). Loading is idempotent: an
existing demo is left alone. ``load_demo`` composes one function per area, in this order (each
needs what the ones before it made): organisation, departments, categories and clock policies,
communities with their grids and people, appeals, dispatch units and incidents, planning.
"""

from __future__ import annotations

from django.db import transaction

from lastmeter.accounts.models import OrgUnit
from lastmeter.appeals.models import Appeal
from lastmeter.demo.appeals import load_appeals
from lastmeter.demo.broadcasts import load_broadcasts_demo
from lastmeter.demo.categories import load_categories, load_clock_policies, train_triage_model
from lastmeter.demo.communities import load_communities
from lastmeter.demo.complaints import load_complaints
from lastmeter.demo.departments import load_departments
from lastmeter.demo.dispatch import load_dispatch_demo
from lastmeter.demo.duty import load_duty_demo
from lastmeter.demo.mediation import load_mediation
from lastmeter.demo.meetings import load_meetings
from lastmeter.demo.organisation import JURISDICTION_CODE, load_organisation
from lastmeter.demo.patrols import load_patrols
from lastmeter.demo.planning import load_planning_demo
from lastmeter.grids.models import Grid


@transaction.atomic
def load_demo(stdout=None) -> bool:
    """Create the demo jurisdiction and its appeals. Returns False if it already exists."""
    if OrgUnit.objects.filter(code=JURISDICTION_CODE).exists():
        return False
    organisation = load_organisation()
    departments = load_departments()
    categories = load_categories(departments)
    load_clock_policies(categories)
    train_triage_model(stdout)
    load_communities(organisation.station)
    load_appeals(categories)
    load_complaints(organisation.station)
    load_mediation()
    load_meetings()  # consultation meetings and the counter log
    load_dispatch_demo(stdout)  # units, incidents
    load_planning_demo()  # basic units and a previewed grid plan
    load_broadcasts_demo()  # groups, subscribers, broadcasts, an alert
    load_duty_demo()  # duty posts, shifts on them, a joint campaign
    load_patrols()  # teams, tonight's plan from the evening hotspots, the building-head network
    if stdout is not None:
        stdout.write(f"demo loaded: {Appeal.objects.count()} appeals, {Grid.objects.count()} grids")
    return True
