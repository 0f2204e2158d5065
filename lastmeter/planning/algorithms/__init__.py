"""Pure grid algorithms (no Django): plain arrays in, dataclasses out.

- ``combine_workload(factors, weights)``: per-unit workload shares from drivers/mileage/accidents/difficulty
  (police strength is capacity, not demand: it sets K and the staffing — see ``workload``).
- ``make_units(adjacency, centroids, workload, area=None)`` -> ``Units``; ``lattice_units`` for tests/benches.
- ``partition(units, k, method="auto"|"milp"|"heuristic", tol=0.02, ...)`` -> ``PartitionResult``
  (assignment, per-grid workload, deviations, compactness, centres, contiguity, gap).
- ``staff_grids(grid_workload, auxiliaries)`` -> ``Staffing`` (1 officer + Hamilton-apportioned auxiliaries).
- ``service_areas``, ``blockade_plan``, ``bottleneck_assignment``, ``add_platforms``, ``road_graph``:
  fixed stations on a road graph (see ``service_areas``).
- ``review_districts``: a city-wide review by district (coverage, workload spread, findings, a relocate-
  then-add proposal per district) (see ``districts``).
- ``containment_plan``: the optimal cordon that contains a fleeing vehicle (see ``containment``).
"""

from .containment import ContainmentPlan, NoContainment, containment_plan, separates
from .districts import CityReview, DistrictFigures, DistrictProposal, Finding, review_districts
from .partition import InfeasibleBalance, PartitionResult, partition
from .service_areas import (
    BlockadePlan,
    PlatformAddition,
    ServiceAreas,
    add_platforms,
    blockade_plan,
    bottleneck_assignment,
    road_graph,
    service_areas,
)
from .staffing import Staffing, apportion, staff_grids
from .units import Units, lattice_units, make_units
from .workload import combine_workload

__all__ = [
    "BlockadePlan",
    "CityReview",
    "ContainmentPlan",
    "DistrictFigures",
    "DistrictProposal",
    "Finding",
    "InfeasibleBalance",
    "NoContainment",
    "PartitionResult",
    "PlatformAddition",
    "ServiceAreas",
    "Staffing",
    "Units",
    "add_platforms",
    "apportion",
    "blockade_plan",
    "bottleneck_assignment",
    "combine_workload",
    "containment_plan",
    "lattice_units",
    "make_units",
    "partition",
    "review_districts",
    "road_graph",
    "separates",
    "service_areas",
    "staff_grids",
]
