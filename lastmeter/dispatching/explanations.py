"""Recommendation explanations in words, in the reader's language.

``algorithms.nearest`` gives each passed-over unit a reason code and the figures behind it; the
recommendation rows carry those fields as they are (``reason``, ``detour_ratio``, ``faster`` …) and
a sentence built here with gettext, so a Chinese dispatcher reads "单位 P3 直线距离 173 米，但车程
1 分钟 30 秒…" and an English one "Unit P3 is 173 m away as the crow flies but …". Units are named by
their call sign (the algorithm knows only ids).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from lastmeter.dispatching.algorithms.nearest import Explanation


def duration(seconds: float) -> str:
    """An ETA for people: '45 秒', '1 分 30 秒', '12 分钟', '1 小时 05 分钟' (or '45 s', '1 min 30 s',
    '12 min', '1 h 05 min'): to the second under ten minutes, where seconds decide who goes."""
    whole = round(seconds)
    if whole < 60:
        return pgettext("duration", "%(n)s s") % {"n": whole}
    if whole < 600 and whole % 60:
        return pgettext("duration", "%(m)s min %(s)s s") % {"m": whole // 60, "s": whole % 60}
    minutes = round(seconds / 60)
    if minutes < 60:
        return pgettext("duration", "%(n)s min") % {"n": minutes}
    return pgettext("duration", "%(h)s h %(m)s min") % {"h": minutes // 60, "m": f"{minutes % 60:02d}"}


def _metres(m: float) -> str:
    return f"{m:.0f}"


def _km(m: float, digits: int = 1) -> str:
    return f"{m / 1000:.{digits}f}"


def _sentence(*clauses: str) -> str:
    """Clauses joined as one sentence ('；' and '。' in Chinese)."""
    return pgettext("clause separator", "; ").join(c for c in clauses if c) + pgettext("sentence end", ".")


def caution(position_age_s: float | None) -> str:
    """The warning a stale position earns (None: the position has no time)."""
    if position_age_s is None:
        return _("caution: the position has no time")
    return _("caution: the position is %(age)s old") % {"age": duration(position_age_s)}


def by_road(eta_s: float, distance_m: float | None, streets: list[str], crow_rank: int, crow_m: float) -> str:
    """The clauses of a unit recommended by road time (without the final full stop)."""
    values = {"eta": duration(eta_s)}
    if distance_m is None:
        drive = _("%(eta)s by road") % values
    elif streets:
        values.update(km=_km(distance_m), streets=pgettext("list separator", ", ").join(streets[:3]))
        drive = _("%(eta)s by road (%(km)s km via %(streets)s)") % values
    else:
        drive = _("%(eta)s by road (%(km)s km)") % {**values, "km": _km(distance_m)}
    rank = _("number %(rank)s by straight-line distance (%(crow)s m)") % {
        "rank": crow_rank,
        "crow": _metres(crow_m),
    }
    return pgettext("clause separator", "; ").join([drive, rank])


def on_foot(eta_s: float, distance_m: float, crow_m: float) -> str:
    """The clause of a foot patrol, ranked by walking time (without the final full stop)."""
    return _("%(eta)s on foot (about %(km)s km; %(crow)s m as the crow flies)") % {
        "eta": duration(eta_s),
        "km": _km(distance_m),
        "crow": _metres(crow_m),
    }


def recommended_sentence(main: str, stale: bool, position_age_s: float | None) -> str:
    return _sentence(main, caution(position_age_s) if stale else "")


def passed_over_sentence(e: Explanation, codes: Mapping[Hashable, str]) -> str:
    """Why the unit, nearer as the crow flies, is not recommended (see ``Explanation``)."""

    def name(uid: Hashable) -> str:
        return codes.get(uid, str(uid))

    v = {"unit": name(e.unit_id), "crow": _metres(e.crow_m)}
    if e.road_seconds is None or e.road_meters is None:
        limit = duration(e.search_limit_s or 0.0)
        if e.reason == "unreachable":
            text = _(
                "Unit %(unit)s is %(crow)s m away as the crow flies but has no drivable route to the scene "
                "(one-way streets or a separate road network)."
            )
        elif e.reason == "one_way":
            text = _(
                "Unit %(unit)s is %(crow)s m away as the crow flies but more than %(limit)s by road: it is "
                "on a one-way street heading away from the scene."
            )
        else:
            text = _("Unit %(unit)s is %(crow)s m away as the crow flies but more than %(limit)s by road.")
        text = text % {**v, "limit": limit}
    else:
        v.update(eta=duration(e.road_seconds), km=_km(e.road_meters))
        if e.reason == "one_way":
            text = _(
                "Unit %(unit)s is %(crow)s m away as the crow flies but %(eta)s by road: it is on a one-way "
                "street heading away from the scene (%(km)s km route)."
            )
        elif e.reason == "detour":
            v["ratio"] = f"{e.detour_ratio or 0.0:.1f}"
            text = _(
                "Unit %(unit)s is %(crow)s m away as the crow flies but %(eta)s by road: the road route is "
                "%(km)s km, %(ratio)s× the straight line (a river, railway, motorway or one-way streets lie "
                "in between)."
            )
        elif e.reason == "longer_route" and e.compared_meters is not None:
            v.update(km=_km(e.road_meters, 2), other_km=_km(e.compared_meters, 2))
            v["other"] = name(e.compared_unit_id)
            text = _(
                "Unit %(unit)s is %(crow)s m away as the crow flies but %(eta)s by road: its road route is "
                "%(km)s km against %(other_km)s km for unit %(other)s."
            )
        else:
            v["kmh"] = f"{e.average_kmh or 0.0:.0f}"
            text = _(
                "Unit %(unit)s is %(crow)s m away as the crow flies but %(eta)s by road: its %(km)s km "
                "route is on slower roads (average %(kmh)s km/h)."
            )
        text = text % v
    if e.faster:
        units = pgettext("list separator", ", ").join(
            _("%(unit)s (%(eta)s)") % {"unit": name(uid), "eta": duration(s)} for uid, s in e.faster
        )
        text += _(" Faster by road: %(units)s.") % {"units": units}
    return text
