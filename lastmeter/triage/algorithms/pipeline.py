"""The whole triage step for one inbound message, in-process: kind -> category -> place -> duplicates.

``Triage`` holds the loaded parts (taxonomy, optional trained model, gazetteer, duplicate index);
``run`` is a pure read of them. The Django side (triage/services.py) builds one per process, keeps
the duplicate index current with ``duplicates.add/remove`` and stores the result on the appeal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .categorise import CategoryDecision, KeywordMatcher, categorise
from .duplicates import DuplicateIndex, DuplicateMatch
from .gazetteer import Gazetteer, PlaceMatch
from .message_kind import MessageDecision, MessageKind, classify_message
from .taxonomy import Taxonomy, load_taxonomy
from .text import prepare
from .text import warm_up as warm_up_text

# Queues a person works through when the machine is not sure.
QUEUE_CLASSIFY = "classify"
QUEUE_LOCATE = "locate"


@dataclass(frozen=True)
class TriageResult:
    message: MessageDecision
    category: CategoryDecision | None = None
    place: PlaceMatch | None = None
    duplicates: tuple[DuplicateMatch, ...] = ()
    queues: tuple[str, ...] = ()
    elapsed_ms: float = 0.0

    @property
    def duplicate_of(self):
        """Id of the open appeal this message repeats, or None."""
        return self.duplicates[0].appeal_id if self.duplicates else None

    def as_dict(self) -> dict:
        """JSON-ready summary (for storage on the appeal and for the CLI)."""
        cat = self.category.category if self.category else None
        return {
            "kind": self.message.kind.value,
            "kind_score": self.message.score,
            "kind_reason": self.message.reason,
            "category": cat.code if cat else None,
            "category_label": cat.label if cat else None,
            "unit_kind": cat.unit.kind if cat else None,
            "unit_code": cat.unit.code if cat else None,
            "category_score": self.category.score if self.category else None,
            "category_alternatives": list(self.category.alternatives) if self.category else [],
            "category_reason": self.category.reason if self.category else None,
            "place": (
                {
                    "lon": self.place.lon,
                    "lat": self.place.lat,
                    "confidence": self.place.confidence,
                    "kind": self.place.kind,
                    "names": list(self.place.names),
                    "reason": self.place.reason,
                }
                if self.place
                else None
            ),
            "duplicates": [
                {"appeal_id": d.appeal_id, "score": d.score, "reason": d.reason} for d in self.duplicates
            ],
            "queues": list(self.queues),
            "elapsed_ms": self.elapsed_ms,
        }


@dataclass
class Triage:
    """Preconditions: ``model`` (if any) was trained on labels the taxonomy resolves (codes, paths
    or unique names). ``min_place_confidence``: below it a place from text is kept as a hint but the
    appeal also goes to the locate queue and is not used for the duplicate search."""

    taxonomy: Taxonomy = field(default_factory=load_taxonomy)
    model: Any = None  # classifier.Model, or anything with .predict(text, k) -> [(label, score)]
    gazetteer: Gazetteer | None = None
    duplicates: DuplicateIndex | None = None
    message_model: Any = None
    min_place_confidence: float = 0.5
    # Long letters are cut here once: their first paragraphs carry the problem, and every stage
    # below is linear in the length (the whole step must stay within a few milliseconds).
    max_chars: int = 1500
    _matcher: KeywordMatcher | None = field(default=None, init=False, repr=False)

    @property
    def matcher(self) -> KeywordMatcher:
        if self._matcher is None:
            self._matcher = KeywordMatcher(self.taxonomy)
        return self._matcher

    def warm_up(self) -> None:
        """Build lazy parts now (keyword matcher, jieba dictionary if a model uses words, compiled
        duplicate kernels) so the first message is not slow."""
        _ = self.matcher
        for model in (self.model, self.message_model):
            if model is not None:
                if getattr(getattr(model, "config", None), "word_max_chars", 0):
                    warm_up_text()
                model.predict("warm up", k=1)
        if self.gazetteer is not None:
            self.gazetteer.locate("warm up")
        if self.duplicates is not None:
            self.duplicates.find("warm up", 0.0)
            self.duplicates.find("warm up", 0.0, 0.0, 0.0)

    def run(
        self,
        text: str,
        created_at: float,
        lon: float | None = None,
        lat: float | None = None,
        *,
        about_open_appeal: bool = False,
        force_appeal: bool = False,
    ) -> TriageResult:
        """Triage one message. ``lon``/``lat``: a location the channel already gave (a shared map pin,
        an Open311 request); otherwise the gazetteer reads one from the text. ``force_appeal``: the
        channel is appeal-only (a web form), so skip the appeal-or-not decision."""
        started = time.perf_counter()
        # Normalised once; every stage below reads a prefix of this shared form.
        msg = prepare(text[: self.max_chars])
        if force_appeal:
            decision = MessageDecision(MessageKind.APPEAL, 1.0, "appeal-only channel")
        else:
            decision = classify_message(msg, about_open_appeal=about_open_appeal, model=self.message_model)
        if decision.kind is not MessageKind.APPEAL:
            return TriageResult(decision, elapsed_ms=_ms(started))
        category = categorise(msg, self.taxonomy, self.matcher, self.model)
        queues = [] if category.category is not None else [QUEUE_CLASSIFY]
        place = None
        if lon is None and self.gazetteer is not None:
            place = self.gazetteer.locate(msg)
        if lon is None:
            if place is not None and place.confidence >= self.min_place_confidence:
                lon, lat = place.lon, place.lat
            else:
                queues.append(QUEUE_LOCATE)
        dups: tuple[DuplicateMatch, ...] = ()
        if self.duplicates is not None:
            dups = tuple(self.duplicates.find(msg, created_at, lon, lat))
        return TriageResult(decision, category, place, dups, tuple(queues), _ms(started))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
