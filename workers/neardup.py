"""Near-duplicate detection: MinHash over word shingles, LSH buckets shared in Redis.

Syndicated copies and lightly edited reprints share most of their word 3-grams;
two independent reports of one event share few. A copy is recognised when its
estimated Jaccard similarity, or its containment in the other text (for
truncated or extended reprints), passes a threshold. LSH (50 bands of 3 rows)
makes a copy with Jaccard 0.4 a candidate with probability > 0.96, while
unrelated articles almost never meet in a bucket.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt
import redis

from workers.dedupe import normalise_body
from workers.lang import has_cjk, spaced

NUM_PERM = 150
BANDS = 50
ROWS = NUM_PERM // BANDS
SHINGLE_WORDS = 3
JACCARD_THRESHOLD = 0.4
CONTAINMENT_THRESHOLD = 0.75
MIN_SHINGLES_FOR_CONTAINMENT = 30

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


def _tokens(text: str) -> list[str]:
    """Words; in Chinese, Japanese and Korean runs, which have no spaces between
    words, each character, so that shingles are character n-grams there."""
    normal = normalise_body(text)
    if not has_cjk(normal):
        return normal.split()
    return [piece for word in spaced(normal).split() for piece in (list(word) if has_cjk(word) else (word,))]


def shingle_hashes(text: str) -> npt.NDArray[np.uint64]:
    tokens = _tokens(text)
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


# Buckets live in one Redis hash per 30-day epoch of insertion time, field
# "band:bucket" -> "stamp|id;stamp|id...", and fingerprints in the same hash under
# "mh:id". One key per band and article (the first layout) meant fifty keys, and
# 150 commands, per article; this is three commands and a handful of keys in all.
# A new article is matched against the current and the previous epoch, so a copy
# is recognised for at least 30 and up to 60 days after its original.
EPOCH_SECONDS = 30 * 24 * 3600
# A bucket keeps its newest members only (about 150): boilerplate shared by
# thousands of pages would otherwise make one ever-growing value that every
# article carrying it reads back. The article's other bands still meet its copies.
MAX_BUCKET_BYTES = 8192

# KEYS[1] = current epoch, KEYS[2] = previous epoch; ARGV[1] = member, ARGV[2] =
# fingerprint field, ARGV[3] = fingerprint, ARGV[4] = expire-at, ARGV[5..] = buckets.
_INSERT_AND_READ = """
local MAX_BUCKET_BYTES = @MAX_BUCKET_BYTES@
local fields = {}
for i = 5, #ARGV do fields[#fields + 1] = ARGV[i] end
local current = redis.call('HMGET', KEYS[1], unpack(fields))
local previous = redis.call('HMGET', KEYS[2], unpack(fields))
local seen, found, updates = {}, {}, {}
for _, values in ipairs({current, previous}) do
  for i = 1, #fields do
    if values[i] then
      for member in string.gmatch(values[i], '[^;]+') do
        if not seen[member] then seen[member] = true; found[#found + 1] = member end
      end
    end
  end
end
for i = 1, #fields do
  local value = current[i] and (current[i] .. ';' .. ARGV[1]) or ARGV[1]
  if #value > MAX_BUCKET_BYTES then
    local cut = string.find(value, ';', #value - MAX_BUCKET_BYTES, true)
    if cut then value = string.sub(value, cut + 1) end
  end
  updates[#updates + 1] = fields[i]
  updates[#updates + 1] = value
end
updates[#updates + 1] = ARGV[2]
updates[#updates + 1] = ARGV[3]
redis.call('HSET', KEYS[1], unpack(updates))
redis.call('EXPIREAT', KEYS[1], ARGV[4])
return found
""".replace("@MAX_BUCKET_BYTES@", str(MAX_BUCKET_BYTES))


@dataclass(frozen=True)
class NearCopy:
    article_id: str
    published: float


class NearDuplicateIndex:
    """Buckets and fingerprints in Redis, shared by every worker process.
    Each article is inserted and matched in one atomic script, so of two copies
    handled at the same moment by two workers the later one finds the earlier;
    both then end with the same original (earliest publication, then smallest id).
    """

    def __init__(self, client: redis.Redis, prefix: str, clock: Callable[[], float] = time.time) -> None:
        self._client = client
        self._prefix = prefix
        self._clock = clock

    def _epoch_key(self, epoch: int) -> str:
        return f"{self._prefix}:lsh:{epoch}"

    def add_and_match(self, items: Sequence[tuple[str, float, Fingerprint]]) -> list[list[NearCopy]]:
        """Insert every (id, published epoch, fingerprint); return, for each, the
        other stored articles that are near-duplicates of it."""
        if not items:
            return []
        epoch = int(self._clock() // EPOCH_SECONDS)
        keys = [self._epoch_key(epoch), self._epoch_key(epoch - 1)]
        expire_at = (epoch + 2) * EPOCH_SECONDS + 24 * 3600
        script = self._client.register_script(_INSERT_AND_READ)
        pipeline = self._client.pipeline(transaction=False)
        for article_id, published, print_ in items:
            script(keys=keys, args=[f"{published:.3f}|{article_id}", f"mh:{article_id}", print_.to_bytes(),
                                    expire_at, *band_keys(print_.signature)], client=pipeline)
        candidate_sets = cast(list[list[bytes]], pipeline.execute())
        per_item: list[list[NearCopy]] = []
        for (article_id, _, _), members in zip(items, candidate_sets, strict=True):
            candidates = []
            for raw in members:
                stamp, _, other = raw.decode().partition("|")
                if other != article_id:
                    candidates.append(NearCopy(other, float(stamp)))
            per_item.append(candidates)
        prints = self._fingerprints(keys, sorted({c.article_id for found in per_item for c in found}))
        return [
            [c for c in candidates if c.article_id in prints and is_near_duplicate(print_, prints[c.article_id])]
            for (_, _, print_), candidates in zip(items, per_item, strict=True)
        ]

    def _fingerprints(self, keys: Sequence[str], article_ids: Sequence[str]) -> dict[str, Fingerprint]:
        if not article_ids:
            return {}
        fields = [f"mh:{article_id}" for article_id in article_ids]
        pipeline = self._client.pipeline(transaction=False)
        for key in keys:
            pipeline.hmget(key, fields)
        prints: dict[str, Fingerprint] = {}
        for raw_prints in reversed(cast(list[list[bytes | None]], pipeline.execute())):
            prints.update({a: Fingerprint.from_bytes(raw) for a, raw in zip(article_ids, raw_prints, strict=True)
                           if raw})
        return prints


def earliest(article_id: str, published: float, copies: Sequence[NearCopy]) -> str:
    """The original of a group of near-copies: earliest publication, then smallest id."""
    group = [(published, article_id), *((c.published, c.article_id) for c in copies)]
    return min(group)[1]
