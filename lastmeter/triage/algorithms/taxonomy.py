"""Configurable appeal taxonomy: categories with their handling unit, loaded from / written to CSV.

A category is one row of ``lastmeter/triage/data/taxonomy.csv`` (or of any CSV with the same
columns): up to three levels of Chinese names, an English name, the unit that handles it and
keywords used by the rule-based matcher. A handling unit is either a police unit (the station handles
it: community police, traffic police) or a department code (the station transfers it).

CSV columns: ``code,level1,level2,level3,name_en,unit_kind,unit_code,keywords,source``;
``keywords`` is ``|``-separated. The level of a row is the number of non-empty level columns.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TAXONOMY = Path(__file__).resolve().parent.parent / "data" / "taxonomy.csv"
COLUMNS = ("code", "level1", "level2", "level3", "name_en", "unit_kind", "unit_code", "keywords", "source")

POLICE = "police"
DEPARTMENT = "department"

# Known handling units: code -> (kind, Chinese name, English name). A taxonomy may name others (a
# local department); these are the ones the seed taxonomy uses.
KNOWN_UNITS: dict[str, tuple[str, str, str]] = {
    "community_police": (POLICE, "社区民警", "community police"),
    "traffic_police": (POLICE, "交警", "traffic police"),
    "urban_management": (DEPARTMENT, "城管", "urban management"),
    "housing_construction": (DEPARTMENT, "住房和城乡建设", "housing and construction"),
    "greening": (DEPARTMENT, "园林绿化", "parks and greening"),
    "transport": (DEPARTMENT, "交通运输", "transport"),
    "environment": (DEPARTMENT, "生态环境", "environment"),
    "health": (DEPARTMENT, "卫生健康", "health"),
    "education": (DEPARTMENT, "教育", "education"),
    "hr_social_security": (DEPARTMENT, "人力资源和社会保障", "human resources and social security"),
    "fire": (DEPARTMENT, "消防救援", "fire and rescue"),
    "market_regulation": (DEPARTMENT, "市场监督管理", "market regulation"),
    "civil_affairs": (DEPARTMENT, "民政", "civil affairs"),
    "natural_resources": (DEPARTMENT, "自然资源和规划", "natural resources and planning"),
    "agriculture": (DEPARTMENT, "农业农村", "agriculture and rural affairs"),
    "water": (DEPARTMENT, "水务", "water"),
    "culture_tourism": (DEPARTMENT, "文化旅游体育", "culture, tourism and sport"),
    "emergency_management": (DEPARTMENT, "应急管理", "emergency management"),
    "utilities": (DEPARTMENT, "水电气热供应", "utilities (water, power, gas, heating)"),
    "postal": (DEPARTMENT, "邮政管理", "postal administration"),
    "industry_it": (DEPARTMENT, "工业和信息化", "industry and information technology"),
    "justice": (DEPARTMENT, "司法", "justice"),
    "court": (DEPARTMENT, "法院", "court"),
    "discipline_inspection": (DEPARTMENT, "纪检监察", "discipline inspection"),
    "government_office": (DEPARTMENT, "政府办公室", "government office"),
    "veterans_affairs": (DEPARTMENT, "退役军人事务", "veterans affairs"),
    "development_reform": (DEPARTMENT, "发展和改革", "development and reform"),
    "finance": (DEPARTMENT, "财政金融", "finance"),
    "tax": (DEPARTMENT, "税务", "tax"),
}


class TaxonomyError(ValueError):
    """A taxonomy file or row is malformed (the message names the row)."""


@dataclass(frozen=True)
class HandlingUnit:
    """Who handles a category: a police unit (handled by the station) or a department (a transfer)."""

    kind: str  # POLICE or DEPARTMENT
    code: str

    @property
    def is_transfer(self) -> bool:
        return self.kind == DEPARTMENT

    @property
    def name_zh(self) -> str:
        return KNOWN_UNITS.get(self.code, ("", self.code, self.code))[1]

    @property
    def name_en(self) -> str:
        return KNOWN_UNITS.get(self.code, ("", self.code, self.code))[2]


@dataclass(frozen=True)
class Category:
    """One node of the taxonomy (a level-1, level-2 or level-3 category)."""

    code: str
    level1: str
    level2: str
    level3: str
    name_en: str
    unit: HandlingUnit
    keywords: tuple[str, ...] = ()
    source: str = ""

    @property
    def level(self) -> int:
        return 3 if self.level3 else 2 if self.level2 else 1

    @property
    def name(self) -> str:
        """The most specific Chinese name."""
        return self.level3 or self.level2 or self.level1

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(p for p in (self.level1, self.level2, self.level3) if p)

    @property
    def label(self) -> str:
        """``level1/level2/level3`` as shown to staff."""
        return "/".join(self.path)


class Taxonomy:
    """An immutable set of categories with lookups by code, path and name."""

    def __init__(self, categories: Iterable[Category]):
        self.categories: tuple[Category, ...] = tuple(categories)
        self.by_code: dict[str, Category] = {}
        self.by_path: dict[tuple[str, ...], Category] = {}
        by_name: dict[str, list[Category]] = {}
        for cat in self.categories:
            if cat.code in self.by_code:
                raise TaxonomyError(f"duplicate category code {cat.code!r}")
            if cat.path in self.by_path:
                raise TaxonomyError(f"duplicate category path {cat.label!r}")
            self.by_code[cat.code] = cat
            self.by_path[cat.path] = cat
            by_name.setdefault(cat.name, []).append(cat)
        self._by_name = by_name

    def __len__(self) -> int:
        return len(self.categories)

    def __iter__(self):
        return iter(self.categories)

    def parent(self, cat: Category) -> Category | None:
        return self.by_path.get(cat.path[:-1]) if cat.level > 1 else None

    def resolve(self, label: str) -> Category | None:
        """The category a classifier label names: a code, a ``a/b/c`` path, or a unique name
        (level-1 names first, so the 7 department labels of the Chinese data map to level-1 rows)."""
        label = label.strip()
        if label in self.by_code:
            return self.by_code[label]
        path = tuple(p for p in label.split("/") if p)
        if path in self.by_path:
            return self.by_path[path]
        candidates = self._by_name.get(label, [])
        if not candidates:
            return None
        candidates = sorted(candidates, key=lambda c: c.level)
        if len(candidates) == 1 or candidates[0].level < candidates[1].level:
            return candidates[0]
        return None  # ambiguous name (e.g. "其他" under many parents)


def _row_to_category(row: Mapping[str, str], where: str) -> Category:
    code = (row.get("code") or "").strip()
    if not code:
        raise TaxonomyError(f"{where}: empty code")
    levels = [(row.get(k) or "").strip() for k in ("level1", "level2", "level3")]
    if not levels[0]:
        raise TaxonomyError(f"{where}: empty level1")
    if levels[2] and not levels[1]:
        raise TaxonomyError(f"{where}: level3 without level2")
    kind = (row.get("unit_kind") or "").strip()
    if kind not in (POLICE, DEPARTMENT):
        raise TaxonomyError(f"{where}: unit_kind must be {POLICE!r} or {DEPARTMENT!r}, got {kind!r}")
    unit_code = (row.get("unit_code") or "").strip()
    if not unit_code:
        raise TaxonomyError(f"{where}: empty unit_code")
    known = KNOWN_UNITS.get(unit_code)
    if known is not None and known[0] != kind:
        raise TaxonomyError(f"{where}: unit {unit_code!r} is a {known[0]} unit, not {kind}")
    keywords = tuple(k.strip() for k in (row.get("keywords") or "").split("|") if k.strip())
    return Category(
        code=code,
        level1=levels[0],
        level2=levels[1],
        level3=levels[2],
        name_en=(row.get("name_en") or "").strip(),
        unit=HandlingUnit(kind, unit_code),
        keywords=keywords,
        source=(row.get("source") or "").strip(),
    )


def taxonomy_from_rows(rows: Iterable[Mapping[str, str]]) -> Taxonomy:
    """Build a taxonomy from dict rows with the CSV columns (e.g. from a database table)."""
    return Taxonomy(_row_to_category(row, f"row {i}") for i, row in enumerate(rows, start=1))


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Read a taxonomy CSV (UTF-8, header row); the committed seed taxonomy when ``path`` is None."""
    path = Path(path) if path is not None else DEFAULT_TAXONOMY
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [
            c for c in ("code", "level1", "unit_kind", "unit_code") if c not in (reader.fieldnames or [])
        ]
        if missing:
            raise TaxonomyError(f"{path}: missing columns {missing}")
        # Line numbers as a spreadsheet shows them (header is line 1).
        return Taxonomy(_row_to_category(row, f"{path}:{i}") for i, row in enumerate(reader, start=2))


def category_to_row(cat: Category) -> dict[str, str]:
    return {
        "code": cat.code,
        "level1": cat.level1,
        "level2": cat.level2,
        "level3": cat.level3,
        "name_en": cat.name_en,
        "unit_kind": cat.unit.kind,
        "unit_code": cat.unit.code,
        "keywords": "|".join(cat.keywords),
        "source": cat.source,
    }


def taxonomy_to_csv(taxonomy: Taxonomy | Iterable[Category]) -> str:
    """The CSV text of a taxonomy (round-trips through :func:`load_taxonomy`)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for cat in taxonomy:
        writer.writerow(category_to_row(cat))
    return buf.getvalue()
