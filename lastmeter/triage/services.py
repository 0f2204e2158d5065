"""Triage wiring: builds the algorithms' inputs from the database and applies their answers.

The pure algorithms live in lastmeter.triage.algorithms (no Django). This module:
- decides whether a message is an appeal (``appeal_or_not``),
- picks a category (``classify``): the newest trained model under VAR_DIR/triage/models; without
  one, a model trained at first use on the stored TriageLabel rows (demo + staff corrections) when
  there are enough; otherwise keyword rules from the category taxonomy — the result says which,
- finds a place in the text with a gazetteer of the loaded OSM extract (built once per process): its
  road names and intersections, and its named landmarks (squares, malls, stations …) when it has any,
- finds open appeals the message duplicates,
- writes staff corrections (category → TriageLabel; location → routing to the grid).

The algorithms are plain imports: a broken module fails at start-up and in the tests instead of
being replaced silently. The keyword rules (algorithms/fallback.py) answer only where the
algorithms have nothing to say — no model yet, a follow-up cue — and the result's ``method`` says so.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from lastmeter.accounts.models import Department
from lastmeter.accounts.selectors import Scope
from lastmeter.appeals.choices import OPEN_STATES, EventKind
from lastmeter.appeals.locking import lock_appeal, publish_change, record_event
from lastmeter.appeals.models import Appeal, Category
from lastmeter.appeals.notify.reporter import notify_staff
from lastmeter.appeals.selectors import access_appeal_by_scope, available_actions, visible_appeals
from lastmeter.appeals.transfers import transfer_locked
from lastmeter.grids.selectors import responsible_for_point
from lastmeter.lib.errors import NotAllowed, ServiceError
from lastmeter.lib.geo import validate_lat_lon
from lastmeter.triage import open_appeals
from lastmeter.triage.algorithms import fallback
from lastmeter.triage.algorithms import taxonomy as algo_taxonomy
from lastmeter.triage.algorithms.classifier import load_model, train
from lastmeter.triage.algorithms.duplicates import DuplicateParams
from lastmeter.triage.algorithms.gazetteer import Gazetteer
from lastmeter.triage.algorithms.landmarks import gazetteer_inputs, read_landmarks
from lastmeter.triage.algorithms.message_kind import MessageKind, classify_message
from lastmeter.triage.algorithms.text import Prepared, prepare
from lastmeter.triage.models import LabelSource, LabelTask, TriageLabel

log = logging.getLogger("lastmeter.triage")
_lock = threading.Lock()
_cache: dict[str, Any] = {}


@functools.lru_cache(maxsize=64)
def prepared(text: str) -> Prepared:
    """The message normalised once (algorithms.text.Prepared), shared by appeal_or_not, classify,
    place_from_text and find_duplicates: intake calls them one after the other on the same text."""
    return prepare(text)


# --- appeal or not ---------------------------------------------------------------------------


@dataclass
class Verdict:
    """What a message is: ``label`` in appeal/update/thanks/praise/chatter; ``is_appeal`` for
    appeal-like labels (a problem someone wants dealt with)."""

    label: str
    score: float
    reason: str
    method: str

    @property
    def is_appeal(self) -> bool:
        return self.label in ("appeal", "update")


# The message_kind algorithm's kinds in intake's words.
VERDICT_OF_KIND = {MessageKind.APPEAL: "appeal", MessageKind.FOLLOW_UP: "update", MessageKind.NONE: "chatter"}


def appeal_or_not(text: str, *, addressed: bool = False, about_open_appeal: bool = False) -> Verdict:
    """Precondition: ``text`` is the message without platform markup. ``addressed`` is true when
    the bot or police were @-mentioned; ``about_open_appeal`` when the sender has an open appeal
    in this thread (then "still nothing?" is a follow-up). Decided by the algorithms'
    message_kind rules; for a sender with an open appeal, the keyword rules' follow-up cues
    (algorithms/fallback.py) turn "chatter" into an update."""
    out = classify_message(prepared(text), about_open_appeal=about_open_appeal)
    label = VERDICT_OF_KIND[out.kind]
    if label == "chatter" and about_open_appeal:
        # A sender with an open appeal: the keyword rules' "update" cues (补充, 还没…) win.
        fb = fallback.appeal_or_not(text, addressed=addressed)
        if fb[0] == "update":
            return Verdict(fb[0], fb[1], fb[2], "keyword rules (follow-up cue)")
    return Verdict(label, float(out.score), out.reason, "message_kind rules")


# --- category --------------------------------------------------------------------------------


@dataclass
class CategoryGuess:
    category: Category | None
    score: float
    method: str
    top: list[tuple[str, float]] = field(default_factory=list)


def models_dir() -> Path:
    return Path(settings.VAR_DIR) / "triage" / "models"


def model_files() -> list[Path]:
    """Trained model files, oldest version first (names category-v0001.skops, …)."""
    folder = models_dir()
    if not folder.exists():
        return []
    return sorted(folder.glob("category-v*.skops"))


def next_model_path() -> Path:
    files = model_files()
    last = 0
    for f in files:
        match = re.search(r"-v(\d+)", f.stem)
        if match:
            last = max(last, int(match.group(1)))
    folder = models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"category-v{last + 1:04d}.skops"


def _trained_model():
    """The newest model file, loaded once per process (reloaded when a newer file appears)."""
    files = model_files()
    if not files:
        return None, ""
    newest = files[-1]
    key = f"file:{newest}:{newest.stat().st_mtime_ns}"
    with _lock:
        if _cache.get("model_key") == key:
            return _cache["model"], _cache["model_method"]
    try:
        model = load_model(newest)
    except Exception as exc:  # a corrupt or foreign file: say so, fall back
        log.warning("cannot load triage model %s: %s", newest, exc)
        return None, ""
    with _lock:
        _cache.update(model_key=key, model=model, model_method=f"trained model {newest.name}")
    return model, f"trained model {newest.name}"


MIN_LABELS_FOR_FIRST_USE = 10


def _first_use_model():
    """Without a model file: train on the stored labels (demo examples and staff corrections)
    once per process, and again when the number of labels changes."""
    labelled = TriageLabel.objects.filter(task=LabelTask.CATEGORY)
    # One aggregate per message; the rows themselves are read only when they changed.
    stats = labelled.aggregate(n=Count("id"), top=Max("id"))
    if stats["n"] < MIN_LABELS_FOR_FIRST_USE:
        return None, ""
    key = f"labels:{stats['n']}:{stats['top']}"
    with _lock:
        if _cache.get("first_use_key") == key:
            return _cache["first_use"], _cache["first_use_method"]
    rows = list(labelled.values_list("text", "label"))
    if len({label for _, label in rows}) < 2:
        return None, ""
    try:
        model = train([t for t, _ in rows], [lab for _, lab in rows])
    except ValueError as exc:
        log.warning("cannot train on stored labels: %s", exc)
        return None, ""
    method = f"model trained at first use on {len(rows)} stored labels"
    with _lock:
        _cache.update(first_use_key=key, first_use=model, first_use_method=method)
    return model, method


CATEGORIES_TTL_S = 30.0


def categories_by_code() -> dict[str, Category]:
    """Every category (with its department) by code, read once per CATEGORIES_TTL_S seconds and
    again as soon as a category is saved or deleted in this process (apps.py signals): building the
    query cost ~0.5-1 ms of a ~1 ms triage step. Treat the instances as read-only."""
    with _lock:
        cached = _cache.get("categories")
        if cached is not None and time.monotonic() - cached[0] < CATEGORIES_TTL_S:
            return cached[1]
    rows = {c.code: c for c in Category.objects.select_related("department")}
    with _lock:
        _cache["categories"] = (time.monotonic(), rows)
    return rows


def forget_categories() -> None:
    """Signal receiver side: categories changed here; read them again on next use."""
    with _lock:
        _cache.pop("categories", None)


def classify(text: str) -> CategoryGuess:
    """The category of an appeal text, with how it was decided. Categories unknown to the
    database are ignored (the model may know labels not loaded yet)."""
    model, method = _trained_model()
    if model is None:
        model, method = _first_use_model()
    if model is not None:
        try:
            top = model.predict(prepared(text), k=3)
        except Exception:
            log.exception("triage model failed; using keyword rules")
            top = []
        known = categories_by_code()
        for label, score in top:
            if label in known:
                return CategoryGuess(known[label], score, method, top)
        if top:
            return CategoryGuess(None, 0.0, method + " (no known category)", top)
    categories = list(categories_by_code().values())
    code, score = fallback.keyword_category(text, [(c.code, c.name, c.name_en) for c in categories])
    category = next((c for c in categories if c.code == code), None)
    return CategoryGuess(category, score, "keyword rules", [(code, score)] if code else [])


# --- place -----------------------------------------------------------------------------------


@dataclass
class Place:
    lat: float
    lon: float
    name: str
    confidence: float
    method: str


def gazetteer() -> Gazetteer | None:
    """The gazetteer of the OSM extract (LASTMETER_ROAD_FILE): its roads and named landmarks
    (algorithms.landmarks), built once per process (thread-safe); None when the road file cannot
    be read."""
    with _lock:
        if "gazetteer" in _cache:
            return _cache["gazetteer"]
    path = Path(settings.LASTMETER_ROAD_FILE)
    built: Gazetteer | None = None
    try:
        streets = fallback.StreetIndex.from_osm(path).streets
        landmarks = read_landmarks(path)
    except (OSError, ValueError) as exc:
        log.warning("no gazetteer: %s", exc)
    else:
        roads = {name: [(lon, lat) for _, lat, lon in nodes] for name, nodes in streets.items()}
        roads, places = gazetteer_inputs(landmarks, roads)
        built = Gazetteer(roads, places)
    with _lock:
        _cache["gazetteer"] = built
    return built


def place_from_text(text: str) -> Place | None:
    gaz = gazetteer()
    hit = gaz.locate(prepared(text)) if gaz is not None else None
    if hit is None:
        return None
    return Place(float(hit.lat), float(hit.lon), hit.matched, float(hit.confidence), "gazetteer")


# --- duplicates ------------------------------------------------------------------------------

DUPLICATE_WINDOW = timedelta(days=7)
# The one decision knob on duplicates. Score = text cosine x nearness (1 at 0 m .. 0.7 at 300 m; 0.8
# when a place is missing) x recency (1 .. 0.8 at the window's end). Calibrated on the duplicate set
# bench/triage_eval.py builds (1,000 re-worded real messages + 1,000 unrelated ones, half of them
# placed next to an open appeal; 4,326 open appeals; a quarter of the queries without a place) by
# maximising F1: 0.17 gave P 0.971 / R 0.971 / F1 0.971 (0.20: 0.977 / 0.962; 0.30: 0.983 / 0.851;
# the hand-set 0.62: 0.992 / 0.255, it missed three duplicates in four). Precision >= 0.95 holds
# from 0.15 up. Most remaining false positives are reports without a place matched to another
# resident's report of the same problem in the source data (true duplicates the set labels wrong);
# located queries reach P 0.997 / R 0.993.
DUPLICATE_THRESHOLD = 0.17


def duplicate_params():
    """The duplicate finder's parameters for intake: window = DUPLICATE_WINDOW, text floors low on
    purpose (DUPLICATE_THRESHOLD on the combined score decides; it is also the search's floor)."""
    return DuplicateParams(
        max_distance_m=300.0,
        max_hours=DUPLICATE_WINDOW.total_seconds() / 3600.0,
        min_similarity=0.05,
        min_similarity_without_place=0.05,
        min_score=DUPLICATE_THRESHOLD,
    )


@dataclass
class DuplicateHit:
    appeal: Appeal
    score: float


def find_duplicates(
    text: str,
    *,
    lat: float | None = None,
    lon: float | None = None,
    category: Category | None = None,
    exclude: set[int] | None = None,
    limit: int = 3,
) -> list[DuplicateHit]:
    """Open appeals of the last week that describe the same problem, best first, score >=
    DUPLICATE_THRESHOLD. Merged appeals are skipped (their survivor is the candidate). The search runs
    on the process's duplicate index (triage/open_appeals.py), kept in step with the database.
    ``category`` is not used by the algorithm (a re-report is often filed under another category)."""
    found = open_appeals.open_appeal_index(duplicate_params()).find(
        prepared(text), timezone.now(), lat, lon, exclude=exclude or set(), limit=limit
    )
    return [DuplicateHit(appeal, m.score) for appeal, m in found if m.score >= DUPLICATE_THRESHOLD]


# --- staff corrections -----------------------------------------------------------------------


def record_label(
    text: str,
    label: str,
    *,
    task: str = LabelTask.CATEGORY,
    previous: str = "",
    source: str = LabelSource.STAFF,
    appeal: Appeal | None = None,
    by=None,
) -> TriageLabel:
    return TriageLabel.objects.create(
        task=task, text=text, label=label, previous_label=previous, source=source, appeal=appeal, by=by
    )


def do_correct_category(scope: Scope, appeal_id: int, *, category: Category) -> Appeal:
    """Staff set the right category; the correction is stored as a training label. When the new
    category belongs to a department and the appeal can still be transferred, it is."""

    access_appeal_by_scope(scope, appeal_id)
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        if "note" not in available_actions(scope, appeal):
            raise NotAllowed("you may not change this appeal's category")
        previous = appeal.category.code if appeal.category else ""
        previous_name = appeal.category.name if appeal.category else "—"
        if previous == category.code:
            return appeal
        appeal.category = category
        appeal.save(update_fields=["category", "updated_at"])
        record_event(
            appeal,
            EventKind.NOTE,
            scope.person,
            note=_("category: %(old)s → %(new)s") % {"old": previous_name, "new": category.name},
            data={"category": category.code, "previous": previous},
        )
        record_label(appeal.text, category.code, previous=previous, appeal=appeal, by=scope.person)
        if category.department is not None and "transfer" in available_actions(scope, appeal):
            transfer_locked(
                appeal, category.department, scope.person, note=_("category handled by department")
            )
    return appeal


def locate_queue(scope: Scope):
    """Open appeals without coordinates that this viewer may see (the 'locate' queue)."""

    return (
        visible_appeals(scope).filter(state__in=OPEN_STATES).filter(lat__isnull=True).order_by("created_at")
    )


def do_set_location(scope: Scope, appeal_id: int, *, lat: float, lon: float, address: str = "") -> Appeal:
    """Staff place an appeal on the map: coordinates are validated, the grid and person on duty
    are found, and the appeal is (re)assigned if it had no grid yet."""

    try:
        validate_lat_lon(lat, lon)
    except ValueError as exc:
        raise ServiceError(str(exc)) from None
    access_appeal_by_scope(scope, appeal_id)
    with transaction.atomic():
        appeal = lock_appeal(appeal_id)
        if "note" not in available_actions(scope, appeal):
            raise NotAllowed("you may not locate this appeal")
        appeal.lat, appeal.lon = lat, lon
        appeal.location_confidence = 1.0
        fields = ["lat", "lon", "location_confidence", "updated_at"]
        if address.strip():
            appeal.address = address.strip()[:300]
            fields.append("address")
        if appeal.grid_id is None:
            grid, assignee = responsible_for_point(lat, lon, timezone.now())
            appeal.grid = grid
            fields.append("grid")
            if assignee is not None and appeal.assignee_id is None:
                appeal.assignee = assignee
                fields.append("assignee")
                notify_staff(
                    assignee,
                    appeal,
                    f"[lastmeter] {appeal.reference}: {appeal.text[:60]}",
                    key=f"assigned:{appeal.pk}:{assignee.pk}:located",
                )
        appeal.save(update_fields=fields)
        record_event(
            appeal,
            EventKind.NOTE,
            scope.person,
            note=(_("located at %(lat).6f, %(lon).6f") % {"lat": lat, "lon": lon} + " " + address).strip(),
            data={"lat": lat, "lon": lon, "grid": appeal.grid_id},
        )
        publish_change(appeal, "appeal.changed")
    return appeal


def reset_caches() -> None:
    """Forget the cached model, gazetteer and duplicate index (tests; after `lastmeter triage train`)."""
    with _lock:
        _cache.clear()
    prepared.cache_clear()
    open_appeals.reset()


def warm_in_background() -> threading.Thread:
    """Load the model, the gazetteer and the compiled kernels in a daemon thread (when a server
    starts), so the first resident's message is triaged in milliseconds, not seconds."""

    def run() -> None:
        from django.db import connections

        try:
            appeal_or_not("小区门口有车违停，麻烦处理")
            classify("小区门口有车违停，麻烦处理")
            place_from_text("人民广场附近")
            find_duplicates("小区门口有车违停，麻烦处理", lat=31.23, lon=121.47)
        except Exception:  # a warm-up failure only means the first message pays the cost
            log.exception("triage warm-up failed")
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name="lastmeter-triage-warm", daemon=True)
    thread.start()
    return thread


# --- taxonomy --------------------------------------------------------------------------------

TAXONOMY_DIR = Path(__file__).resolve().parent / "data"


def default_taxonomy_file() -> Path | None:
    for name in ("taxonomy.json", "taxonomy.csv", "categories.json", "categories.csv"):
        if (TAXONOMY_DIR / name).exists():
            return TAXONOMY_DIR / name
    found = sorted(TAXONOMY_DIR.glob("*taxonomy*")) if TAXONOMY_DIR.exists() else []
    return found[0] if found else None


def _taxonomy_rows(path: Path) -> list[dict[str, Any]]:
    import csv
    import io
    import json

    text = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".json":
        data = json.loads(text)
        if isinstance(data, dict):
            data = data.get("categories") or data.get("taxonomy") or []
        rows: list[dict[str, Any]] = []

        def walk(nodes, parent=""):
            for node in nodes or []:
                if not isinstance(node, dict):
                    raise ValueError(f"{path}: every category must be an object")
                rows.append({**node, "parent": node.get("parent", parent)})
                walk(node.get("children"), node.get("code", ""))

        walk(data)
        return rows
    reader = csv.DictReader(io.StringIO(text))
    fields = reader.fieldnames or []
    if "unit_kind" in fields and "level1" in fields:
        return _algorithm_taxonomy_rows(path)
    if "code" in fields and "name" in fields:
        return list(reader)
    levels = [f for f in fields if f]  # e.g. 一级分类,二级分类,三级分类: a path of names
    rows, seen = [], set()
    for row in reader:
        parent = ""
        for level in levels:
            name = (row.get(level) or "").strip()
            if not name:
                break
            code = f"{parent}.{name}" if parent else name
            if code not in seen:
                seen.add(code)
                rows.append({"code": code, "name": name, "parent": parent})
            parent = code
    return rows


def _algorithm_taxonomy_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of the triage algorithms' taxonomy CSV (code, level1-3, name_en, unit_kind,
    unit_code, keywords): parents first; a department unit becomes the category's department."""
    tax = algo_taxonomy.load_taxonomy(path)
    rows = []
    for cat in sorted(tax, key=lambda c: c.level):
        parent = tax.parent(cat)
        rows.append(
            {
                "code": cat.code,
                "name": cat.name,
                "name_en": cat.name_en,
                "parent": parent.code if parent else "",
                "department": cat.unit.code if cat.unit.is_transfer else "",
                "department_name": cat.unit.name_zh,
            }
        )
    return rows


def load_taxonomy(path: str | Path) -> dict[str, int]:
    """Create or update Category rows (and missing Departments) from a taxonomy file:
    JSON (a list of {code, name, name_en?, parent?, department?, department_name?, priority?,
    children?}) or CSV with such columns, or a CSV of level columns (a path of names per row).
    Idempotent. Raises ValueError with a message for unusable files."""

    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: no such file")
    try:
        rows = _taxonomy_rows(path)
    except (ValueError, UnicodeDecodeError, KeyError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    counts = {"categories_created": 0, "categories_updated": 0, "departments_created": 0}
    with transaction.atomic():
        by_code: dict[str, Category] = {}
        for row in rows:
            code = str(row.get("code") or "").strip()[:120]
            name = str(row.get("name") or "").strip()[:200]
            if not code or not name:
                raise ValueError(f"{path}: a category without code or name: {row}")
            department = None
            dept_code = str(row.get("department") or "").strip()
            if dept_code:
                department = Department.objects.filter(code=dept_code).first()
                if department is None:
                    department = Department.objects.create(
                        code=slugify(dept_code, allow_unicode=True)[:60] or dept_code[:60],
                        name=str(row.get("department_name") or dept_code)[:200],
                    )
                    counts["departments_created"] += 1
            defaults: dict[str, Any] = {"name": name, "department": department}
            if row.get("name_en"):
                defaults["name_en"] = str(row["name_en"])[:200]
            if str(row.get("priority") or "").isdigit():
                defaults["default_priority"] = int(row["priority"])
            parent_code = str(row.get("parent") or "").strip()
            if parent_code:
                parent = by_code.get(parent_code) or Category.objects.filter(code=parent_code).first()
                if parent is None:
                    raise ValueError(f"{path}: category {code} names an unknown parent {parent_code}")
                defaults["parent"] = parent
            category, created = Category.objects.update_or_create(code=code, defaults=defaults)
            by_code[code] = category
            counts["categories_created" if created else "categories_updated"] += 1
    return counts
