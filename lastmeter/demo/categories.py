"""The demo's appeal categories (police or a department's) and the clock policies of their deadlines."""

from __future__ import annotations

from lastmeter.accounts.models import Department
from lastmeter.appeals.choices import ClockKind, ClockUnit
from lastmeter.appeals.models import Category, ClockPolicy
from lastmeter.triage.default_model import ensure_default_model
from lastmeter.triage.services import default_taxonomy_file, load_taxonomy

# The demo's appeals are filed under categories of the shipped taxonomy (triage/data/taxonomy.csv),
# the same codes the default triage model predicts, so a resident's free text lands where the
# demo's own appeals are. Short names keep the demo's data tables readable.
DEMO_CATEGORY_CODES = {
    "illegal_parking": "pol.traffic.illegal_parking",
    "zombie_car": "pol.traffic.zombie_car",
    "congestion": "pol.traffic.congestion",
    "traffic_hazard": "pol.traffic.traffic_hazard",
    "accident_black_spot": "pol.traffic.accident_black_spot",
    "neighbour_dispute": "pol.order.neighbour_dispute",
    "fraud": "pol.order.fraud",
    "noise": "pol.order.noise",
    "theft": "pol.order.theft",
    "missing_person": "pol.help.missing_person",
    "street_vending": "pol.city.street_vending",
    "road_damage": "pol.city.road_damage",
    "fallen_tree": "pol.city.fallen_tree",
    "illegal_construction": "gov.01.03.002",
    "wage_arrears": "gov.15.03",
    "fire_hazard": "gov.13.08.009",
}


def load_categories(departments: dict[str, Department]) -> dict[str, Category]:
    """Load the shipped taxonomy (its categories link to the departments just made, by code) and
    return the demo's categories by short name; a department's category is transferred to it."""
    taxonomy = default_taxonomy_file()
    if taxonomy is None:
        raise RuntimeError("the shipped taxonomy (lastmeter/triage/data/taxonomy.csv) is missing")
    load_taxonomy(taxonomy)
    by_code = Category.objects.in_bulk(list(DEMO_CATEGORY_CODES.values()), field_name="code")
    return {short: by_code[code] for short, code in DEMO_CATEGORY_CODES.items()}


def train_triage_model(stdout=None) -> None:
    """Train the default triage model from the project's own phrasings (no ../shared needed), so
    free text such as "乱停车堵住消防通道" is categorised from the first appeal."""
    result = ensure_default_model()
    if stdout is not None and result.path is not None:
        stdout.write(f"triage model: {result.path.name}")


def load_clock_policies(categories: dict[str, Category]) -> None:
    """Contact within 2 hours (1 for a missing person), land within 24, a department accepts within
    4 hours and reports its outcome within 5 working days (1 day for a fallen tree), a complaint is
    answered within 15 days."""
    ClockPolicy.objects.create(
        kind=ClockKind.CONTACT, amount=2, unit=ClockUnit.HOURS, pause_while_waiting=True
    )
    ClockPolicy.objects.create(kind=ClockKind.LAND, amount=24, unit=ClockUnit.HOURS, pause_while_waiting=True)
    ClockPolicy.objects.create(
        kind=ClockKind.CONTACT, category=categories["missing_person"], amount=15, unit=ClockUnit.HOURS
    )
    ClockPolicy.objects.create(kind=ClockKind.TRANSFER_ACCEPT, amount=4, unit=ClockUnit.HOURS)
    # A department reports its outcome within 5 working days (each department's default); a fallen
    # tree on a cycle lane cannot wait that long.
    ClockPolicy.objects.create(
        kind=ClockKind.TRANSFER_OUTCOME,
        category=categories["fallen_tree"],
        amount=1,
        unit=ClockUnit.CALENDAR_DAYS,
    )
    ClockPolicy.objects.create(kind=ClockKind.COMPLAINT_REPLY, amount=15, unit=ClockUnit.CALENDAR_DAYS)
    # A missing person cannot wait two hours for a call back.
    ClockPolicy.objects.filter(category=categories["missing_person"]).update(amount=1)
