"""Typo-tolerant catalogue search with synonyms (decision 0016).

A query is folded (lower case, no diacritics, ``đ`` → ``d``), then read left to right into
*groups*; every group must match a procedure for it to be found (all words, any order):

- a phrase of the synonym list (``catalog/data/synonyms.json``, kept with the catalogue data)
  becomes one group whose alternatives are the phrase itself and its expansions
  (``cccd`` → ``can cuoc cong dan``, ``giay to tuy than``…);
- any other word is a group of itself; when no procedure contains it, the words of the
  catalogue within a small Damerau–Levenshtein distance are its alternatives
  (``sihn`` → ``sinh``: 1 for words of 4–7 letters, 2 from 8 letters; never below 4 letters),
  even when the word exists (``kết hông``), at half weight.

A procedure's searchable text is its folded name, its result's name (``Giấy khai sinh``) and the
keywords the synonym list gives its code. Words match as substrings, as before (``kha`` still
finds ``khai``), and codes match too (``2.000815``).

Ranking: procedures whose *name* matches every group first, then by popularity, then by name.

The scoring runs in Python over the filtered catalogue (one query for the candidate rows, one
for the page): a province's catalogue holds ≈2,000 procedures, which this reads and scores in
a few milliseconds (docs/benchmarks.md), identically on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tinhso.core.text import fold

SYNONYMS_FILE = Path(__file__).parent / "data" / "synonyms.json"
# Longest query we look at: a search box, not a document.
MAX_QUERY_WORDS = 12
# Longest synonym phrase, in words.
_MAX_PHRASE = 5


@dataclass(frozen=True)
class SynonymList:
    # folded phrase → folded alternatives (each a phrase)
    phrases: dict[str, tuple[str, ...]]
    # procedure code (national part) → folded keywords
    keywords: dict[str, str]


@lru_cache(maxsize=1)
def synonym_list() -> SynonymList:
    data = json.loads(SYNONYMS_FILE.read_text(encoding="utf-8"))
    phrases: dict[str, set[str]] = {}
    for entry in data["synonyms"]:
        terms = [fold(t) for t in entry["terms"]]
        # Every term of an entry stands for every other (a ring), so "giấy khai sinh" and
        # "khai sinh" can be listed once.
        for term in terms:
            phrases.setdefault(term, set()).update(t for t in terms if t != term)
        for term, targets in ((fold(k), v) for k, v in entry.get("expands_to", {}).items()):
            phrases.setdefault(term, set()).update(fold(t) for t in targets)
    keywords = {code: " ".join(fold(k) for k in words)
                for code, words in data.get("keywords", {}).items()}
    return SynonymList({k: tuple(sorted(v)) for k, v in phrases.items()}, keywords)


def document(code: str, name: str, result_name: str) -> str:
    """The folded text a procedure is searched by."""
    national = code.split(".000.")[0]
    extra = synonym_list().keywords.get(code) or synonym_list().keywords.get(national, "")
    return " ".join(part for part in (fold(name), fold(result_name or ""), extra) if part)


def damerau_levenshtein(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance of ``a`` and ``b``, or ``limit + 1`` when larger."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], prev2[j - 2] + 1)
        if min(row) > limit:
            return limit + 1
        prev2, prev = prev, row
    return prev[-1]


def _tolerance(word: str) -> int:
    if len(word) < 4 or any(ch.isdigit() for ch in word):
        return 0
    return 1 if len(word) < 8 else 2


def corrections(word: str, vocabulary: Iterable[str]) -> list[str]:
    """Words of the vocabulary close enough to ``word`` to be what was meant."""
    return list(_corrections(word, frozenset(vocabulary)))


@lru_cache(maxsize=4096)
def _corrections(word: str, vocabulary: frozenset[str]) -> tuple[str, ...]:
    # Cached per catalogue (the vocabulary is the key): a search box repeats its words.
    limit = _tolerance(word)
    if not limit:
        return ()
    found = sorted((damerau_levenshtein(word, v, limit), v) for v in vocabulary
                   if abs(len(v) - len(word)) <= limit and v.isalpha())
    return tuple(v for d, v in found if d <= limit)[:20]


@dataclass(frozen=True)
class Group:
    """One part of the query: it matches when any alternative's words all occur.

    ``corrected`` alternatives (spelling corrections) weigh less than what was typed."""

    alternatives: tuple[tuple[str, ...], ...]
    corrected: tuple[tuple[str, ...], ...] = ()

    def score(self, text: str, words: frozenset[str], code: str = "") -> float:
        """0 when no alternative matches; else the best: whole words 3, word starts (or the
        code) 2, inside a word 1; a spelling correction counts half."""
        best = 0.0
        for alt, weight in [*((a, 1.0) for a in self.alternatives),
                            *((a, 0.5) for a in self.corrected)]:
            if all(w in words for w in alt):
                best = max(best, 3 * weight)
            elif all(f" {w}" in f" {text}" or (code and w in code) for w in alt):
                best = max(best, 2 * weight)
            elif all(w in text for w in alt):
                best = max(best, 1 * weight)
        return best


def parse(query: str, vocabulary: frozenset[str]) -> list[Group]:
    """The query's groups, with synonyms and spelling corrections against ``vocabulary``."""
    words = fold(query or "").split()[:MAX_QUERY_WORDS]
    synonyms = synonym_list().phrases
    groups: list[Group] = []
    i = 0
    while i < len(words):
        for size in range(min(_MAX_PHRASE, len(words) - i), 0, -1):
            phrase = " ".join(words[i:i + size])
            if phrase in synonyms:
                alts = [phrase, *synonyms[phrase]]
                groups.append(Group(tuple(tuple(a.split()) for a in alts)))
                i += size
                break
        else:
            word = words[i]
            # Corrected even when the word exists ("hông" is a word, "kết hông" meant "kết hôn"):
            # corrections weigh half, so what was typed still ranks first.
            fixes = [(c,) for c in corrections(word, vocabulary) if c != word]
            groups.append(Group(((word,),), tuple(fixes)))
            i += 1
    return groups


@lru_cache(maxsize=50_000)
def _prepared(code: str, name: str, result: str) -> tuple[str, str, frozenset[str], str,
                                                          frozenset[str]]:
    """Folded forms of one procedure, cached: the catalogue changes rarely, searches often."""
    folded = fold(name)
    text = document(code, name, result)
    return code.lower(), folded, frozenset(folded.split()), text, frozenset(text.split())


def rank(query: str, rows: list[tuple[int, str, str, str, int]]) -> list[int]:
    """Ids of the rows (id, code, name, result name, popularity) matching ``query``, best
    first: every group must match; more whole-word matches first, then matches in the name,
    then the most popular, then by name."""
    docs = [(pk, *_prepared(code, name, result or ""), pop)
            for pk, code, name, result, pop in rows]
    vocabulary = frozenset().union(*(d[5] for d in docs))
    groups = parse(query, vocabulary)
    scored = []
    for pk, code, name, name_words, text, words, pop in docs:
        scores = []
        for g in groups:
            score = g.score(text, words, code)
            if not score:
                break
            scores.append(score)
        else:
            in_name = all(g.score(name, name_words, code) for g in groups)
            scored.append((-sum(scores), 0 if in_name else 1, -pop, name, code, pk))
    scored.sort()
    return [row[-1] for row in scored]
