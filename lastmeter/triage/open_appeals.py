"""The process's duplicate index of open appeals, kept in step with the database.

Building the index (vectorising every open appeal's text) costs tens of milliseconds, so it is built
once per process and then kept current:
- appeals saved or deleted in this process are marked dirty by signals (``mark_dirty``) and re-read
  before the next search (this also covers rolled-back transactions: the re-read finds the row gone);
- appeals changed by other processes are noticed by a one-row fingerprint query (count, highest id,
  sum of ids, latest ``updated_at`` of the open appeals in the window), run at most every
  ``CHECK_EVERY_S`` seconds (it scans the window's rows: ~2.7 ms for 1,000 on SQLite, more than the
  whole search); when it changes, the ids and ``updated_at`` of the open appeals are compared with
  the index and only the difference is read. Another process's new appeal is therefore a candidate
  within a few seconds, this process's at once;
- every match is re-read from the database before it is returned (still open, in the window, same
  text), so a change the fingerprint could not see (a queryset ``update()`` that skipped
  ``updated_at``) cannot produce a wrong duplicate.
The IDF statistics are refreshed (full rebuild) once the index has taken in as many additions as it
held when it was built.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from typing import cast

from django.db.models import Count, Max, QuerySet, Sum

from lastmeter.appeals.choices import OPEN_STATES
from lastmeter.appeals.models import Appeal
from lastmeter.triage.algorithms.duplicates import DuplicateIndex, DuplicateMatch, DuplicateParams, OpenAppeal
from lastmeter.triage.algorithms.text import Prepared

_lock = threading.Lock()
_dirty: set[int] = set()
_dirty_lock = threading.Lock()


def mark_dirty(appeal_id: int | None) -> None:
    """Signal receiver side: this appeal changed here; re-read it before the next search."""
    if appeal_id is not None:
        with _dirty_lock:
            _dirty.add(int(appeal_id))


def _take_dirty() -> set[int]:
    with _dirty_lock:
        taken = set(_dirty)
        _dirty.clear()
    return taken


def _open_appeal(row: dict) -> OpenAppeal:
    lat, lon = row["lat"], row["lon"]
    if lat is None or lon is None:
        lat = lon = None
    return OpenAppeal(row["id"], row["text"] or "", row["created_at"].timestamp(), lon, lat)


_FIELDS = ("id", "text", "lat", "lon", "created_at", "updated_at")


class OpenAppealIndex:
    """A DuplicateIndex over the open appeals created since ``now - window``.

    ``find`` holds a lock for the sync and the search (a search is well under a millisecond)."""

    CHECK_EVERY_S = 3.0

    def __init__(self, params: DuplicateParams):
        self.params = params
        self.window_s = params.max_hours * 3600.0
        self.index: DuplicateIndex | None = None
        self._stamps: dict[int, datetime] = {}  # id -> updated_at as indexed
        self._fingerprint: tuple | None = None
        self._added_since_build = 0
        self._built_with = 0
        self._checked_at = -math.inf  # time.monotonic() of the last fingerprint query

    def _open(self, now: datetime) -> QuerySet[Appeal]:
        since = datetime.fromtimestamp(now.timestamp() - self.window_s, tz=now.tzinfo)
        return Appeal.objects.filter(state__in=OPEN_STATES, created_at__gte=since)

    def _build(self, qs: QuerySet[Appeal]) -> None:
        rows = list(qs.values(*_FIELDS))
        self.index = DuplicateIndex([_open_appeal(r) for r in rows], self.params)
        self._stamps = {r["id"]: r["updated_at"] for r in rows}
        self._added_since_build = 0
        self._built_with = len(rows)

    def _apply(self, qs: QuerySet[Appeal], ids: Iterable[int]) -> None:
        """Re-read ``ids``: (re)index those still open in the window, drop the others."""
        assert self.index is not None
        ids = set(ids)
        if not ids:
            return
        found = {r["id"]: r for r in qs.filter(id__in=ids).values(*_FIELDS)}
        for i in ids:
            row = found.get(i)
            if row is None:
                self.index.remove(i)
                self._stamps.pop(i, None)
            else:
                self.index.add(_open_appeal(row))
                self._stamps[i] = row["updated_at"]
                self._added_since_build += 1

    def sync(self, now: datetime, *, force: bool = False) -> None:
        """Bring the index up to date with the database: appeals marked dirty at once, the
        fingerprint of everything else every CHECK_EVERY_S seconds (or when ``force``)."""
        qs = self._open(now)
        dirty = _take_dirty()
        if self.index is None or self._added_since_build > max(64, self._built_with):
            self._build(qs)
            self._fingerprint, self._checked_at = self._fingerprint_of(qs), time.monotonic()
            return
        if force or time.monotonic() - self._checked_at >= self.CHECK_EVERY_S:
            fingerprint = self._fingerprint_of(qs)
            self._checked_at = time.monotonic()
            if fingerprint != self._fingerprint:
                current = dict(qs.values_list("id", "updated_at"))
                dirty |= {i for i, stamp in current.items() if self._stamps.get(i) != stamp}
                dirty |= set(self._stamps) - set(current)
            self._fingerprint = fingerprint
        self._apply(qs, dirty)

    @staticmethod
    def _fingerprint_of(qs: QuerySet[Appeal]) -> tuple:
        agg = qs.aggregate(n=Count("id"), top=Max("id"), total=Sum("id"), last=Max("updated_at"))
        return (agg["n"], agg["top"], agg["total"], agg["last"])

    def find(
        self,
        text: str | Prepared,
        now: datetime,
        lat: float | None,
        lon: float | None,
        *,
        exclude: set[int],
        limit: int,
    ) -> list[tuple[Appeal, DuplicateMatch]]:
        """Open appeals this text duplicates, best first, each re-read from the database."""
        with _lock:
            for _attempt in range(2):
                self.sync(now, force=_attempt > 0)
                assert self.index is not None
                located = lat is not None and lon is not None
                matches = self.index.find(
                    text,
                    now.timestamp(),
                    lon if located else None,
                    lat if located else None,
                    k=limit + len(exclude),
                )
                # Index ids are the appeals' primary keys (see _open_appeal).
                matches = [m for m in matches if cast(int, m.appeal_id) not in exclude][:limit]
                if not matches:
                    return []
                ids = [cast(int, m.appeal_id) for m in matches]
                fresh = {a.pk: a for a in self._open(now).filter(pk__in=ids)}
                stale = [i for i in ids if i not in fresh or fresh[i].text != self._indexed_text(i)]
                if not stale:
                    return [(fresh[i], m) for i, m in zip(ids, matches, strict=True)]
                # The index missed a change (see the module docstring): re-read those rows, search again.
                for i in stale:
                    mark_dirty(i)
            return []

    def _indexed_text(self, appeal_id: int) -> str | None:
        app = self.index.get(appeal_id) if self.index is not None else None
        return app.text if app is not None else None


_instances: dict[DuplicateParams, OpenAppealIndex] = {}


def open_appeal_index(params: DuplicateParams) -> OpenAppealIndex:
    """The process-wide index for these parameters."""
    with _lock:
        inst = _instances.get(params)
        if inst is None:
            inst = _instances[params] = OpenAppealIndex(params)
        return inst


def reset() -> None:
    """Forget the indices (tests; after a bulk import)."""
    with _lock:
        _instances.clear()
    _take_dirty()
