"""Place from text: a gazetteer of roads, intersections, named places and communities.

Input is plain data the roads app extracts from OSM: road name -> node (lon, lat) list, place or
community name -> (lon, lat). ``Gazetteer.locate(text)`` finds mentions (exact, then fuzzy with
rapidfuzz), reads Chinese and English intersection patterns ("A路与B路交叉口", "A路B路口", "A路近B路",
"A路123号", "X and Y", "corner of X & Y") and returns coordinates with a confidence, or None (the
"locate" queue). Confidence guide: >= 0.8 a point (intersection, named place); ~0.5 somewhere along
a named road (house numbers are not in the data); < 0.5 a whole road.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from .text import CJK, Prepared, normalise, normalised_head

LonLat = tuple[float, float]

_ROAD_SUFFIX = ("高架路", "公路", "大道", "大街", "路", "街", "巷", "弄", "道")
_DIRECTIONAL = re.compile(rf"^([{CJK}]+?)[东西南北中](路|街|大道|大街)$")
_JOIN_ZH = {"", "与", "和", "跟", "同", "、", "/", "交", "及", "与交", "和交", "交汇", "x"}
_NEAR_ZH = ("靠近", "附近", "旁边", "临近", "近", "旁", "往", "至", "到", "对面")
_CORNER_ZH = re.compile(r"^(?:交叉口|交汇处|交界处?|十字路口|丁字路口|路口|交口|口)")
_NUMBER_ZH = re.compile(r"^\s*(\d+)\s*(?:号|弄|號)")
_ABBREV = {
    "st": "street", "ave": "avenue", "av": "avenue", "rd": "road", "blvd": "boulevard", "dr": "drive",
    "ln": "lane", "pl": "place", "ct": "court", "hwy": "highway", "pkwy": "parkway", "sq": "square",
    "n": "north", "s": "south", "e": "east", "w": "west", "str": "strasse",
}  # fmt: skip
_JOIN_EN = {"and", "&", "at", "/", "x", "@", "with"}
_NEAR_EN = {"near", "by", "off", "next to", "close to"}


@dataclass(frozen=True)
class PlaceMatch:
    lon: float
    lat: float
    confidence: float
    kind: str  # intersection | near | place | community | address | road
    names: tuple[str, ...]
    matched: str  # the text that was recognised
    reason: str


@dataclass(frozen=True)
class _Mention:
    start: int
    end: int
    key: str
    what: str  # road | place | community
    fuzzy: float  # 1.0 exact, else the rapidfuzz score / 100


def _latin_key(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", normalise(text))
    return " ".join(_ABBREV.get(w, w) for w in words)


def name_key(name: str) -> str:
    """Matching key of a name: normalised; Chinese without spaces, Latin words with abbreviations
    expanded ("W 34th St" -> "west 34th street")."""
    n = normalise(name)
    if re.search(f"[{CJK}]", n):
        return re.sub(r"\s+", "", n)
    return _latin_key(n)


def _haversine_m(lon1, lat1, lon2, lat2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dl = p2 - p1, np.radians(np.asarray(lon2) - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * 6371008.8 * np.arcsin(np.sqrt(np.minimum(1.0, a)))


class Gazetteer:
    """Immutable after construction; ``locate`` is safe to call from several threads."""

    def __init__(
        self,
        roads: Mapping[str, Sequence[LonLat]],
        places: Mapping[str, LonLat] | None = None,
        communities: Mapping[str, LonLat] | None = None,
        *,
        near_m: float = 60.0,
        fuzzy_cutoff: float = 75.0,
    ):
        """``roads``: name -> node coordinates (several ways of one name may be concatenated).
        ``near_m``: two roads with no shared node meet if their nodes come this close (dual
        carriageways, slightly offset OSM nodes)."""
        self.near_m = near_m
        self.fuzzy_cutoff = fuzzy_cutoff
        self.roads: dict[str, np.ndarray] = {}
        self.road_names: dict[str, set[str]] = {}
        for name, pts in roads.items():
            key = name_key(name)
            arr = np.asarray(pts, dtype=float).reshape(-1, 2)
            if not key or arr.size == 0:
                continue
            self.roads[key] = np.vstack([self.roads[key], arr]) if key in self.roads else arr
            self.road_names.setdefault(key, set()).add(name)
        # "西藏路" names 西藏中路 + 西藏南路 together unless a road is really called so.
        aliases: dict[str, list[str]] = {}
        for key in self.roads:
            m = _DIRECTIONAL.match(key)
            if m and len(m.group(1)) >= 2:
                aliases.setdefault(m.group(1) + m.group(2), []).append(key)
        for alias, keys in aliases.items():
            # Merged even when a short road of that exact name exists: residents drop the direction.
            parts = [self.roads[k] for k in keys] + ([self.roads[alias]] if alias in self.roads else [])
            self.roads[alias] = np.vstack(parts)
            self.road_names[alias] = {n for k in keys for n in self.road_names[k]} | self.road_names.get(
                alias, set()
            )
        self.points: dict[str, tuple[LonLat, str, str]] = {}  # key -> (lonlat, what, display name)
        for what, table in (("community", communities or {}), ("place", places or {})):
            for name, (lon, lat) in table.items():
                key = name_key(name)
                if key:
                    self.points[key] = ((float(lon), float(lat)), what, name)
        self._rounded = {k: {(round(x, 7), round(y, 7)) for x, y in v} for k, v in self.roads.items()}
        self._rep = {k: self._representative(v) for k, v in self.roads.items()}
        self._pair_cache: dict[tuple[str, str], tuple[LonLat, float] | None] = {}
        # Exact CJK mention search: keys indexed by last character -> lengths to try.
        self._cjk_lengths: dict[str, set[int]] = {}
        self._latin_keys: dict[str, str] = {}
        self._latin_max = 1
        for key, what in [(k, "road") for k in self.roads] + [(k, v[1]) for k, v in self.points.items()]:
            if re.search(f"[{CJK}]", key):
                self._cjk_lengths.setdefault(key[-1], set()).add(len(key))
            else:
                self._latin_keys[key] = what
                self._latin_max = max(self._latin_max, key.count(" ") + 1)
        self._cjk_road_keys = [k for k in self.roads if re.search(f"[{CJK}]", k)]
        self._latin_road_keys = [k for k in self.roads if not re.search(f"[{CJK}]", k)]

    @staticmethod
    def _representative(arr: np.ndarray) -> LonLat:
        c = arr.mean(axis=0)
        i = int(np.argmin(((arr - c) ** 2).sum(axis=1)))
        return float(arr[i, 0]), float(arr[i, 1])

    def _what(self, key: str) -> str:
        return "road" if key in self.roads else self.points[key][1]

    # ----------------------------------------------------------------------------------- geometry
    def intersection(self, a: str, b: str) -> tuple[LonLat, float] | None:
        """Where roads ``a`` and ``b`` (names or keys) meet: ((lon, lat), gap in metres) or None."""
        ka, kb = name_key(a), name_key(b)
        if ka not in self.roads or kb not in self.roads or ka == kb:
            return None
        pair = (ka, kb) if ka < kb else (kb, ka)
        if pair not in self._pair_cache:
            self._pair_cache[pair] = self._meet(*pair)
        return self._pair_cache[pair]

    def _meet(self, ka: str, kb: str) -> tuple[LonLat, float] | None:
        shared = self._rounded[ka] & self._rounded[kb]
        if shared:
            pts = np.array(sorted(shared))
            c = pts.mean(axis=0)
            i = int(np.argmin(((pts - c) ** 2).sum(axis=1)))
            return (float(pts[i, 0]), float(pts[i, 1])), 0.0
        a, b = self.roads[ka], self.roads[kb]
        # Closest pair of nodes; roads are a few hundred nodes at most, so a dense distance table is fine.
        lat0 = math.radians(float(a[:, 1].mean()))
        sa = a * [math.cos(lat0), 1.0]
        sb = b * [math.cos(lat0), 1.0]
        d2 = ((sa[:, None, :] - sb[None, :, :]) ** 2).sum(axis=2)
        flat = np.unravel_index(int(np.argmin(d2)), d2.shape)
        i, j = int(flat[0]), int(flat[1])
        gap = float(_haversine_m(a[i, 0], a[i, 1], b[j, 0], b[j, 1]))
        mid = (float((a[i, 0] + b[j, 0]) / 2), float((a[i, 1] + b[j, 1]) / 2))
        return mid, gap

    # ----------------------------------------------------------------------------------- mentions
    def _mentions(self, text: str) -> list[_Mention]:
        found: list[_Mention] = []
        for i, ch in enumerate(text):
            for n in self._cjk_lengths.get(ch, ()):
                s = i - n + 1
                if s >= 0:
                    key = text[s : i + 1]
                    if key in self.roads or key in self.points:
                        found.append(_Mention(s, i + 1, key, self._what(key), 1.0))
        if self._latin_keys:
            for m in self._latin_word_spans(text):
                found.append(m)
        # Longest first, then no overlaps (西藏中路 beats a shorter name inside it).
        found.sort(key=lambda m: (-(m.end - m.start), m.start))
        chosen: list[_Mention] = []
        for m in found:
            if all(m.end <= c.start or m.start >= c.end for c in chosen):
                chosen.append(m)
        return sorted(chosen, key=lambda m: m.start)

    def _latin_word_spans(self, text: str) -> list[_Mention]:
        words = [
            (mm.start(), mm.end(), _ABBREV.get(mm.group(0), mm.group(0)))
            for mm in re.finditer(r"[a-z0-9]+", text)
        ]
        out = []
        for i in range(len(words)):
            for n in range(min(self._latin_max, len(words) - i), 0, -1):
                key = " ".join(w for _, _, w in words[i : i + n])
                if key in self._latin_keys:
                    out.append(_Mention(words[i][0], words[i + n - 1][1], key, self._latin_keys[key], 1.0))
                    break
        return out

    def _fuzzy_mentions(self, text: str) -> list[_Mention]:
        """Road-like phrases matched approximately (typos, missing 中/南, "Street" vs "St")."""
        out: list[_Mention] = []
        if self._cjk_road_keys:
            ends = [m.end() for m in re.finditer("|".join(_ROAD_SUFFIX), text)][:4]
            for e in ends:
                window = text[max(0, e - 8) : e]
                cands = process.extract(
                    window, self._cjk_road_keys, scorer=fuzz.partial_ratio, limit=10, score_cutoff=60
                )
                best = None
                for key, _score, _ in cands:
                    # Right-align the name with the phrase ending at the suffix: "西臧中路" is
                    # 西藏中路 (3 chars in place), not 江西中路 (same edit distance, 2 in place).
                    tail = window[-len(key) :]
                    in_place = sum(x == y for x, y in zip(tail, key, strict=False))
                    rank = (fuzz.ratio(tail, key), in_place, len(key))
                    # One wrong character in a 3-character name (人名路 for 人民路) scores 67: accept
                    # a single substitution that keeps the suffix.
                    one_sub = len(tail) == len(key) >= 3 and in_place == len(key) - 1 and tail[-1] == key[-1]
                    ok = rank[0] >= self.fuzzy_cutoff or one_sub
                    if ok and len(key) >= 3 and (best is None or rank > best[0]):
                        best = (rank, key)
                if best is not None:
                    key = best[1]
                    out.append(_Mention(e - min(len(key), len(window)), e, key, "road", best[0][0] / 100))
        if self._latin_road_keys:
            for m in re.finditer(r"((?:[a-z0-9]+ ){0,3}[a-z0-9]+)(?= (?:and|&|at|/)\b|$|[,.;!?])", text):
                phrase = _latin_key(m.group(1))
                hit = process.extractOne(
                    phrase,
                    self._latin_road_keys,
                    scorer=fuzz.ratio,
                    score_cutoff=max(85.0, self.fuzzy_cutoff),
                )
                if hit is not None:
                    out.append(_Mention(m.start(1), m.end(1), hit[0], "road", hit[1] / 100))
            for m in re.finditer(r"(?:and|&|at|/) ((?:[a-z0-9]+ ){0,3}[a-z0-9]+)", text):
                phrase = _latin_key(m.group(1))
                for n in range(len(phrase.split()), 0, -1):
                    cand = " ".join(phrase.split()[:n])
                    hit = process.extractOne(
                        cand,
                        self._latin_road_keys,
                        scorer=fuzz.ratio,
                        score_cutoff=max(85.0, self.fuzzy_cutoff),
                    )
                    if hit is not None:
                        out.append(_Mention(m.start(1), m.start(1) + len(cand), hit[0], "road", hit[1] / 100))
                        break
        return sorted(out, key=lambda m: m.start)

    # ----------------------------------------------------------------------------------- locate
    def locate(self, text: str | Prepared, max_chars: int = 600) -> PlaceMatch | None:
        """Best place named in ``text`` or None. Only the first ``max_chars`` characters are read."""
        text = normalised_head(text, max_chars)
        if not text:
            return None
        mentions = self._mentions(text)
        if sum(1 for m in mentions if m.what == "road") < 2:
            exact_keys = {m.key for m in mentions}
            extra = [m for m in self._fuzzy_mentions(text) if m.key not in exact_keys]
            merged = mentions + [
                m for m in extra if all(m.end <= c.start or m.start >= c.end for c in mentions)
            ]
            mentions = sorted(merged, key=lambda m: m.start)
        if not mentions:
            return None
        candidates: list[PlaceMatch] = []
        roads = [m for m in mentions if m.what == "road"]
        for a, b in itertools.pairwise(roads):
            pm = self._pair(text, a, b)
            if pm is not None:
                candidates.append(pm)
        for m in mentions:
            if m.what != "road":
                (lon, lat), what, name = self.points[m.key]
                conf = (0.9 if what == "place" else 0.85) * m.fuzzy
                candidates.append(
                    PlaceMatch(lon, lat, conf, what, (name,), text[m.start : m.end], f"{what} {name}")
                )
        for m in roads:
            candidates.append(self._single_road(text, m))
        return max(candidates, key=lambda c: c.confidence)

    def _display(self, key: str) -> str:
        return "/".join(sorted(self.road_names.get(key, {key})))

    def _pair(self, text: str, a: _Mention, b: _Mention) -> PlaceMatch | None:
        gap = text[a.end : b.start].strip()
        after = text[b.end : b.end + 6]
        before = text[max(0, a.start - 20) : a.start]
        latin = not re.search(f"[{CJK}]", a.key + b.key)
        if latin:
            gapw = gap.replace(",", " ").split()
            joined = " ".join(gapw) in _JOIN_EN or gap in _JOIN_EN
            near = " ".join(gapw) in _NEAR_EN
            corner = bool(re.search(r"(?:corner|intersection|junction) of\s*(?:the\s*)?$", before))
        else:
            joined = gap in _JOIN_ZH or gap in _JOIN_EN
            near = gap in _NEAR_ZH or gap in _NEAR_EN
            corner = bool(_CORNER_ZH.match(after))
        if not (joined or near or (len(gap) <= 2 and corner)):
            return None
        meet = self.intersection(a.key, b.key)
        if meet is None:
            return None
        (lon, lat), gap_m = meet
        fuzz_factor = a.fuzzy * b.fuzzy
        names = (self._display(a.key), self._display(b.key))
        matched = text[a.start : b.end]
        if gap_m <= self.near_m:
            conf = 0.95 if corner else 0.9 if joined else 0.8
            kind = "near" if near else "intersection"
            why = f"{'near ' if near else ''}intersection of {names[0]} and {names[1]}"
            if gap_m > 0:
                why += f" (roads come within {gap_m:.0f} m)"
            return PlaceMatch(lon, lat, round(conf * fuzz_factor, 4), kind, names, matched, why)
        if near and gap_m <= 1000:
            # "A路近B路": the part of A closest to B, however far they are apart.
            return PlaceMatch(
                lon, lat, round(0.6 * fuzz_factor, 4), "near", names, matched,
                f"{names[0]} near {names[1]} (closest points {gap_m:.0f} m apart)",
            )  # fmt: skip
        return None

    def _single_road(self, text: str, m: _Mention) -> PlaceMatch:
        lon, lat = self._rep[m.key]
        name = self._display(m.key)
        after = text[m.end : m.end + 12]
        before = text[max(0, m.start - 8) : m.start]
        num = _NUMBER_ZH.match(after)
        num_en = re.search(r"(\d+[a-z]?)\s*$", before) if not re.search(f"[{CJK}]", m.key) else None
        hit = num or num_en
        if hit is not None:
            house = hit.group(1)
            return PlaceMatch(
                lon, lat, round(0.5 * m.fuzzy, 4), "address", (name,), text[m.start : m.end + (num.end() if num else 0)],
                f"{name} No. {house}: house numbers are not in the map data, point is mid-road",
            )  # fmt: skip
        return PlaceMatch(
            lon, lat, round(0.35 * m.fuzzy, 4), "road", (name,), text[m.start : m.end], f"road {name} only"
        )
