"""Small query helpers for the hot paths (position reports, token checks, inbound items).

``QuerySet.first()`` orders by the model's ``Meta.ordering`` (or by the primary key) before taking
one row. On Django 5.2 compiling that ORDER BY hashes each ordering expression, and hashing an
expression binds its constructor's signature (``Expression.identity``, ``inspect``): about a
millisecond of CPU per query. Profiled under load, three such ``first()`` calls were 40 % of a
position report's CPU (docs/BENCHMARKS.md, "Load"). Where the filter names at most one row (a
unique key, a primary key) the order is meaningless, so these helpers ask without one.
"""

from __future__ import annotations

from typing import TypeVar

from django.db.models import Model, QuerySet

M = TypeVar("M", bound=Model)


def one_or_none(queryset: QuerySet[M]) -> M | None:
    """The row of ``queryset`` — which its filter makes unique — or None; no ORDER BY compiled."""
    rows = list(queryset.order_by()[:1])
    return rows[0] if rows else None
