"""The in-memory fleet index (``algorithms.nearest.Fleet``) kept in step with the database.

The database is the truth; each process keeps a ``Fleet`` of every unit with a position, snapped
onto its road network, so a recommendation is a millisecond search instead of N routes.
- A position report in this process updates the index right after its transaction commits
  (``note_unit``), reusing the snap computed inside the transaction.
- Before every recommendation ``sync()`` re-reads the units changed since the last sync
  (``Unit.updated_at``, with an overlap for clock skew and slow commits), so reports received by
  other processes, status changes and admin edits are seen too; every FULL_SYNC_S a full pass
  also drops deleted units.
- When the road network is swapped, the ``Fleet`` re-snaps every unit by itself.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from django.utils import timezone

from lastmeter.dispatching.algorithms.nearest import Fleet
from lastmeter.dispatching.choices import DISPATCHABLE
from lastmeter.dispatching.models import Unit
from lastmeter.roads import services as roads
from lastmeter.roads.algorithms.network import RoadNetwork
from lastmeter.roads.algorithms.snapping import Snap, SnapError

SYNC_OVERLAP = timedelta(seconds=10)
FULL_SYNC_S = 300.0


class FleetIndex:
    """A ``Fleet`` over one ``RoadNetwork`` plus the bookkeeping to sync it from the database."""

    def __init__(self, network: RoadNetwork) -> None:
        self.network = network
        self.fleet = Fleet(network, max_snap_m=roads.MAX_SNAP_M)
        self._lock = threading.Lock()
        self._seen: dict[int, datetime] = {}  # unit id → updated_at applied
        self._synced_at: datetime | None = None
        self._full_at = 0.0

    def apply(
        self,
        unit_id: int,
        lat: float | None,
        lon: float | None,
        agency: str,
        unit_type: str,
        status: str,
        snap: Snap | None = None,
    ) -> None:
        """Put one unit in the index as given (or take it out if it has no usable position)."""
        if lat is None or lon is None:
            self.fleet.remove(unit_id)
            return
        try:
            self.fleet.upsert(
                unit_id, lat, lon, agency=agency, kind=unit_type, available=status in DISPATCHABLE, snap=snap
            )
        except SnapError:  # off the map: never recommended until it comes back
            self.fleet.remove(unit_id)

    def sync(self, *, full: bool = False) -> int:
        """Apply units changed since the last sync (all of them on a full pass); returns how many."""
        with self._lock:
            full = full or self._synced_at is None or time.monotonic() - self._full_at > FULL_SYNC_S
            started = timezone.now()
            qs = Unit.objects.all()
            if not full:
                assert self._synced_at is not None
                qs = qs.filter(updated_at__gte=self._synced_at - SYNC_OVERLAP)
            rows = list(qs.values_list("pk", "lat", "lon", "agency", "unit_type", "status", "updated_at"))
            n = 0
            for pk, lat, lon, agency, unit_type, status, updated_at in rows:
                if self._seen.get(pk) == updated_at:
                    continue
                self.apply(pk, lat, lon, agency, unit_type, status)
                self._seen[pk] = updated_at
                n += 1
            if full:
                present = {r[0] for r in rows}
                for pk in list(self._seen):
                    if pk not in present:
                        self.fleet.remove(pk)
                        del self._seen[pk]
                self._full_at = time.monotonic()
            self._synced_at = started
            return n

    def note(self, unit: Unit, snap: Snap | None, snap_version: int | None) -> None:
        """After a commit: apply this unit now (the snap is reused if the network did not change)."""
        if snap is not None and snap_version != self.network.version:
            snap = None
        with self._lock:
            self.apply(unit.pk, unit.lat, unit.lon, unit.agency, unit.unit_type, unit.status, snap)
            self._seen[unit.pk] = unit.updated_at


_index: FleetIndex | None = None
_index_lock = threading.Lock()


def get_index(network: RoadNetwork | None = None, *, sync: bool = True) -> FleetIndex:
    """The process's index over ``network`` (default: roads.services.get_network()), synced.

    A different network object (tests inject one) gets a fresh index.
    """
    global _index
    net = network or roads.get_network()
    with _index_lock:
        if _index is None or _index.network is not net:
            _index = FleetIndex(net)
        index = _index
    if sync:
        index.sync()
    return index


def note_unit(unit: Unit, snap: Snap | None = None, snap_version: int | None = None) -> None:
    """Update the index (if one exists in this process) with a committed unit row."""
    index = _index
    if index is not None:
        index.note(unit, snap, snap_version)


def reset() -> None:
    """Forget the index (tests; the next use rebuilds it from the database)."""
    global _index
    with _index_lock:
        _index = None
