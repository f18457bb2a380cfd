"""Near-duplicate detection: MinHash over word shingles, LSH buckets shared in Redis.

Syndicated copies and lightly edited reprints share most of their word 3-grams;
two independent reports of one event share few. A copy is recognised when its
estimated Jaccard similarity, or its containment in the other text (for
truncated or extended reprints), passes a threshold. LSH (50 bands of 3 rows)
makes a copy with Jaccard 0.4 a candidate with probability > 0.96, while
unrelated articles almost never meet in a bucket.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt
import redis

from workers.dedupe import normalise_body

NUM_PERM = 150
BANDS = 50
ROWS = NUM_PERM // BANDS
SHINGLE_WORDS = 3
JACCARD_THRESHOLD = 0.4
CONTAINMENT_THRESHOLD = 0.75
MIN_SHINGLES_FOR_CONTAINMENT = 30
KEY_TTL_SECONDS = 60 * 24 * 3600

_rng = np.random.default_rng(20261125)
# Multiply-shift hashing: h(x) = (a * x + b) >> 32 over 64-bit words, a odd.
_A = (_rng.integers(1, 2**63 - 1, NUM_PERM, dtype=np.uint64) | np.uint64(1)).astype(np.uint64)
_B = _rng.integers(0, 2**63 - 1, NUM_PERM, dtype=np.uint64).astype(np.uint64)
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9],
                dtype=np.uint64)

Signature = npt.NDArray[np.uint32]


@dataclass(frozen=True)
class Fingerprint:
    signature: Signature
    shingles: int

    def to_bytes(self) -> bytes:
        return np.uint32(self.shingles).tobytes() + self.signature.astype("<u4").tobytes()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Fingerprint:
        values = np.frombuffer(raw, dtype="<u4")
        return cls(values[1:].astype(np.uint32), int(values[0]))


def shingle_hashes(text: str) -> npt.NDArray[np.uint64]:
    tokens = normalise_body(text).split()
    if not tokens:
        return np.zeros(0, dtype=np.uint64)
    token_ids = np.fromiter((zlib.crc32(token.encode("utf-8")) for token in tokens),
                            dtype=np.uint64, count=len(tokens))
    if len(token_ids) < SHINGLE_WORDS:
        return np.unique(token_ids)
    windows = len(token_ids) - SHINGLE_WORDS + 1
    with np.errstate(over="ignore"):
        combined = np.zeros(windows, dtype=np.uint64)
        for offset in range(SHINGLE_WORDS):
            combined += token_ids[offset:offset + windows] * _MIX[offset]
    return np.unique(combined)


def fingerprint(text: str) -> Fingerprint:
    shingles = shingle_hashes(text)
    if shingles.size == 0:
        return Fingerprint(np.full(NUM_PERM, 0xFFFFFFFF, dtype=np.uint32), 0)
    with np.errstate(over="ignore"):
        hashed = (np.outer(shingles, _A) + _B) >> np.uint64(32)
    return Fingerprint(hashed.min(axis=0).astype(np.uint32), int(shingles.size))


def band_keys(signature: Signature) -> list[str]:
    rows = signature[: BANDS * ROWS].reshape(BANDS, ROWS)
    return [f"{band}:{zlib.crc32(row.tobytes()):08x}" for band, row in enumerate(rows)]


def estimated_jaccard(a: Fingerprint, b: Fingerprint) -> float:
    return float(np.mean(a.signature == b.signature))


def estimated_containment(a: Fingerprint, b: Fingerprint) -> float:
    """|A ∩ B| / min(|A|, |B|), from the Jaccard estimate and the set sizes."""
    jaccard = estimated_jaccard(a, b)
    smaller = min(a.shingles, b.shingles)
    if smaller == 0:
        return 0.0
    intersection = jaccard * (a.shingles + b.shingles) / (1 + jaccard)
    return min(intersection / smaller, 1.0)


def is_near_duplicate(a: Fingerprint, b: Fingerprint) -> bool:
    if estimated_jaccard(a, b) >= JACCARD_THRESHOLD:
        return True
    return (min(a.shingles, b.shingles) >= MIN_SHINGLES_FOR_CONTAINMENT
            and estimated_containment(a, b) >= CONTAINMENT_THRESHOLD)


# KEYS[1] = fingerprint key, KEYS[2..] = the article's buckets; one round trip per article.
_INSERT_AND_READ = """
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
local seen = {}
local found = {}
for i = 2, #KEYS do
  redis.call('SADD', KEYS[i], ARGV[1])
  redis.call('EXPIRE', KEYS[i], ARGV[3])
  for _, member in ipairs(redis.call('SMEMBERS', KEYS[i])) do
    if not seen[member] then seen[member] = true; table.insert(found, member) end
  end
end
return found
"""


@dataclass(frozen=True)
class NearCopy:
    article_id: str
    published: float


class NearDuplicateIndex:
    """Buckets and fingerprints in Redis, shared by every worker process.

    Each article is inserted before it looks for its copies, so two copies handled
    at the same moment by two workers still find each other; both then pick the
    same original (earliest publication, then smallest id).
    """

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    def _bucket(self, key: str) -> str:
        return f"{self._prefix}:lsh:{key}"

    def _member(self, article_id: str, published: float) -> str:
        return f"{published:.3f}|{article_id}"

    def add_and_match(self, items: Sequence[tuple[str, float, Fingerprint]]) -> list[list[NearCopy]]:
        """Insert every (id, published epoch, fingerprint); return, for each, the
        other stored articles that are near-duplicates of it."""
        script = self._client.register_script(_INSERT_AND_READ)
        pipeline = self._client.pipeline(transaction=False)
        for article_id, published, print_ in items:
            keys = [f"{self._prefix}:mh:{article_id}", *(self._bucket(k) for k in band_keys(print_.signature))]
            script(keys=keys, args=[self._member(article_id, published), print_.to_bytes(), KEY_TTL_SECONDS],
                   client=pipeline)
        candidate_sets = cast(list[list[bytes]], pipeline.execute())
        per_item: list[list[NearCopy]] = []
        for (article_id, _, _), members in zip(items, candidate_sets, strict=True):
            candidates = []
            for raw in members:
                stamp, _, other = raw.decode().partition("|")
                if other != article_id:
                    candidates.append(NearCopy(other, float(stamp)))
            per_item.append(candidates)
        wanted = sorted({c.article_id for candidates in per_item for c in candidates})
        raw_prints = cast(list[bytes | None], self._client.mget(
            [f"{self._prefix}:mh:{article_id}" for article_id in wanted])) if wanted else []
        prints = {a: Fingerprint.from_bytes(raw) for a, raw in zip(wanted, raw_prints, strict=True) if raw}
        return [
            [c for c in candidates if c.article_id in prints and is_near_duplicate(print_, prints[c.article_id])]
            for (_, _, print_), candidates in zip(items, per_item, strict=True)
        ]


def earliest(article_id: str, published: float, copies: Sequence[NearCopy]) -> str:
    """The original of a group of near-copies: earliest publication, then smallest id."""
    group = [(published, article_id), *((c.published, c.article_id) for c in copies)]
    return min(group)[1]
