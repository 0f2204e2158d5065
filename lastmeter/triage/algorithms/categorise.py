"""Choose a category (and so a handling unit) for an appeal: keyword rules + the trained classifier.

Keywords come from the taxonomy (its ``keywords`` column and the level-3 names). They decide the
police categories no training data covers (illegal parking, fraud, …); the classifier decides the
rest. The result says why, and ``None`` means "put it in the classify queue for a person".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .taxonomy import Category, Taxonomy
from .text import CJK, Prepared, normalise, normalised_head

# Names too generic to be evidence on their own.
_GENERIC = {"其他", "其他污染", "其他补贴", "其他野生资源管理", "管理", "服务"}


@dataclass(frozen=True)
class CategoryDecision:
    category: Category | None
    score: float
    alternatives: tuple[tuple[str, float], ...]  # (category code, score), best first, top 3
    reason: str

    @property
    def unit(self):
        return self.category.unit if self.category else None


class KeywordMatcher:
    """Finds taxonomy keywords in a text in time linear in its length, without a Python loop over
    every character: each CJK keyword (all have two or more characters) is filed under its last two
    characters; one vectorised look-up of the text's character bigrams finds the few positions where
    a keyword may end, and only those are checked."""

    def __init__(self, taxonomy: Taxonomy, use_names: bool = True):
        by_tail: dict[int, list[tuple[str, str]]] = {}  # last two chars as one int -> [(keyword, code)]
        self._latin: dict[str, list[str]] = {}
        self._weight: dict[str, float] = {}
        self._short: list[tuple[str, str]] = []  # one-character CJK keywords (none in the seed)
        latin_words = []
        for cat in taxonomy:
            words = list(cat.keywords)
            if use_names and cat.level == 3 and cat.level3 not in _GENERIC and len(cat.level3) >= 2:
                words.append(cat.level3)
            for w in words:
                w = normalise(w)
                if not w:
                    continue
                # Evidence weight: CJK characters count double (one carries about a Latin word's meaning).
                self._weight[w] = sum(2.0 if _CJK_CHAR.match(c) else 1.0 for c in w)
                if _CJK_CHAR.search(w):
                    if len(w) < 2:
                        self._short.append((w, cat.code))
                    else:
                        by_tail.setdefault(_pair(w[-2], w[-1]), []).append((w, cat.code))
                else:
                    self._latin.setdefault(w, []).append(cat.code)
                    latin_words.append(w)
        for lst in by_tail.values():
            lst.sort(key=lambda kc: -len(kc[0]))
        self._by_tail = by_tail
        self._tails = np.array(sorted(by_tail), dtype=np.int64)
        self._latin_re = (
            re.compile(
                r"\b(?:"
                + "|".join(re.escape(w) for w in sorted(set(latin_words), key=len, reverse=True))
                + r")\b"
            )
            if latin_words
            else None
        )

    def matches(self, text: str | Prepared, max_chars: int = 800) -> list[tuple[str, str, int]]:
        """``(code, keyword, position)`` for every keyword occurrence in the first ``max_chars``
        characters, by position of the keyword's end, longest keyword first at a spot."""
        text = normalised_head(text, max_chars)
        out = []
        if self._tails.size and len(text) >= 2:
            u = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
            pairs = (u[:-1] << 21) | u[1:]
            at = np.minimum(np.searchsorted(self._tails, pairs), self._tails.size - 1)
            for j in np.flatnonzero(self._tails[at] == pairs).tolist():
                end = j + 2
                for kw, code in self._by_tail[int(pairs[j])]:
                    start = end - len(kw)
                    if start >= 0 and text.startswith(kw, start):
                        out.append((code, kw, start))
        for kw, code in self._short:
            start = text.find(kw)
            while start >= 0:
                out.append((code, kw, start))
                start = text.find(kw, start + 1)
        if self._latin_re is not None:
            for m in self._latin_re.finditer(text):
                out.extend((code, m.group(0), m.start()) for code in self._latin[m.group(0)])
        return out

    def scores(self, text: str | Prepared) -> dict[str, tuple[float, list[str]]]:
        """Per category: evidence score (sum of keyword lengths, CJK chars count double) and keywords."""
        acc: dict[str, tuple[float, list[str]]] = {}
        for code, kw, _ in self.matches(text):
            score, kws = acc.get(code, (0.0, []))
            if kw not in kws:
                acc[code] = (score + self._weight[kw], [*kws, kw])
        return acc


def _pair(a: str, b: str) -> int:
    """Two characters as one int (code points are < 2**21)."""
    return (ord(a) << 21) | ord(b)


_CJK_CHAR = re.compile(f"[{CJK}]")


def categorise(
    text: str | Prepared,
    taxonomy: Taxonomy,
    matcher: KeywordMatcher | None = None,
    model: Any = None,
    *,
    min_model_score: float = 0.45,
    min_keyword_weight: float = 4.0,
) -> CategoryDecision:
    """Category of an appeal text.

    Order: (1) a keyword of a category with an explicit keyword list (police categories and the
    government rows given everyday words) of weight >= ``min_keyword_weight``; (2) the classifier's
    top label if its score >= ``min_model_score``, refined to a deeper category under it when a
    keyword of that subtree occurs; (3) otherwise None (classify queue), with the best guesses.
    Preconditions: ``model`` labels are taxonomy codes, paths or unique names (see Taxonomy.resolve).
    """
    matcher = matcher or KeywordMatcher(taxonomy)
    kw_scores = matcher.scores(text)
    ranked_kw = sorted(kw_scores.items(), key=lambda kv: (-kv[1][0], kv[0]))
    explicit = [
        (code, s, kws)
        for code, (s, kws) in ranked_kw
        if taxonomy.by_code[code].keywords and s >= min_keyword_weight
    ]
    model_top: Sequence[tuple[str, float]] = model.predict(text, k=3) if model is not None else []
    alternatives = []
    for label, score in model_top:
        cat = taxonomy.resolve(label)
        if cat is not None:
            alternatives.append((cat.code, round(float(score), 4)))
    if explicit:
        code, s, kws = explicit[0]
        cat = taxonomy.by_code[code]
        total = sum(v[0] for v in kw_scores.values())
        score = min(0.95, 0.5 + 0.5 * s / total) if total else 0.5
        alts = tuple([(c, round(min(0.95, v / total), 4)) for c, v, _ in explicit[:3]])
        return CategoryDecision(
            cat, round(score, 4), alts, f"keyword {'、'.join(kws[:3])} → {cat.label} ({cat.unit.code})"
        )
    if alternatives and alternatives[0][1] >= min_model_score:
        code, score = alternatives[0]
        cat = taxonomy.by_code[code]
        refined = _refine(cat, ranked_kw, taxonomy)
        if refined is not None:
            sub, kws = refined
            return CategoryDecision(
                sub,
                score,
                tuple(alternatives),
                f"model {cat.label} ({score:.2f}), keyword {'、'.join(kws[:2])} → {sub.label} ({sub.unit.code})",
            )
        return CategoryDecision(
            cat, score, tuple(alternatives), f"model {cat.label} ({score:.2f}) → {cat.unit.code}"
        )
    guesses = tuple(alternatives) or tuple((c, round(v[0], 2)) for c, v in ranked_kw[:3])
    why = "no confident category"
    if alternatives:
        why += f" (model best {alternatives[0][0]} at {alternatives[0][1]:.2f})"
    return CategoryDecision(None, alternatives[0][1] if alternatives else 0.0, guesses, why)


def _refine(cat: Category, ranked_kw, taxonomy: Taxonomy) -> tuple[Category, list[str]] | None:
    """The best keyword-matched category inside ``cat``'s subtree, if any."""
    for code, (_s, kws) in ranked_kw:
        sub = taxonomy.by_code[code]
        if sub.level > cat.level and sub.path[: cat.level] == cat.path:
            return sub, kws
    return None
