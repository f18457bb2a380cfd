"""STIX 2.1 bundles (workers/exchange/stix.py) of two corpora, every one checked
by stix2-validator, and the render time per story.

- ``synthetic``: bench/synthetic.py's generated articles (1,000 by default) run
  through the enrich stage's pure function, grouped into stories by the event
  each was generated from (reprints marked as copies), and given what news
  rarely has but exchange formats must carry: indicators of every type (URLs
  with quotes and backslashes among them), ATT&CK techniques and attribution
  claims, including denials.
- ``demo``: the demo site's articles (crawlers/demo_site/) enriched the same way
  and clustered into stories by the clustering stage's pure clusterer, as the
  demo would, without running it.

For each corpus: one bundle per story, one per actor (its stories) and one of
all stories. The validator's errors must be 0; its warnings are counted by
check (103: UUIDv5 ids where STIX would rather have v4, the price of stable
ids; 302: external references without hashes). Render time per story is the
median over ``--runs`` runs of one-story bundles. The last line is JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coverwatch.models import Article
from search.story_records import StoryRecord
from workers.exchange import ExchangeOptions
from workers.exchange.stix import render_stix

OPTIONS = ExchangeOptions(public_url="https://coverwatch.example", tlp="amber")
TECHNIQUES = ("T1566.001", "T1566.002", "T1190", "T1078", "T1059.001", "T1071.001", "T1105", "T1027",
              "T1003.001", "T1021.001", "T1041", "T1560.001", "T1133", "T1195.002", "T1204.002")
CLAIMANTS = (("the US State Department", "government", "US"), ("Microsoft", "vendor", None),
             ("the UK National Cyber Security Centre", "government", "GB"), ("Mandiant", "vendor", None))


def _enriched(articles: Sequence[Article]) -> list[Article]:
    from coverwatch.taxonomy import default_taxonomy
    from workers.enrichment import enrich
    from workers.entities import default_matcher

    taxonomy, matcher = default_taxonomy(), default_matcher()
    return [enrich(article, taxonomy, matcher) for article in articles]


def _record(story_id: str, documents: list[dict[str, Any]]) -> StoryRecord:
    documents.sort(key=lambda document: (document.get("event_time") or "", document["id"]))
    first_of_body: dict[str, str] = {}
    for document in documents:
        key = hashlib.sha1(document.get("body", "").encode()).hexdigest()
        if key in first_of_body:
            document["duplicate_of"] = first_of_body[key]
        first_of_body.setdefault(key, document["id"])
    story = {"id": story_id, "title": documents[0]["title"], "first_seen": documents[0].get("event_time"),
             "last_update": documents[-1].get("event_time")}
    return StoryRecord(story, tuple(documents))


def _exchange_fields(rng: random.Random, number: int, actor_state: str | None, actor_name: str) -> dict[str, Any]:
    """Indicators, techniques and claims an exchange format must carry, deterministic for ``rng``."""
    indicators = [{"type": "ipv4", "value": f"198.51.100.{rng.randint(1, 254)}"},
                  {"type": "domain", "value": f"cdn-{number}.update-check.example"},
                  {"type": "url", "value": f"http://update-check.example/{number}/o'brien\\dl.php?id={number}"},
                  {"type": "sha256", "value": hashlib.sha256(str(number).encode()).hexdigest()},
                  {"type": "md5", "value": hashlib.md5(str(number).encode()).hexdigest()},
                  {"type": "sha1", "value": hashlib.sha1(str(number).encode()).hexdigest()},
                  {"type": "email", "value": f"hr-{number}@mail-update.example"},
                  {"type": "ipv6", "value": f"2001:db8::{number % 9999:x}"},
                  {"type": "cve", "value": f"CVE-2025-{1000 + number % 500}"},
                  {"type": "btc", "value": "bc1q" + hashlib.sha1(str(number).encode()).hexdigest()[:30]}]
    claims = []
    if actor_state:
        claimant, kind, country = rng.choice(CLAIMANTS)
        claims.append({"claimant": claimant, "claimant_kind": kind, "claimant_country": country,
                       "stance": rng.choice(("attributes", "suspects")), "subject": actor_name,
                       "subject_state": actor_state, "victim": None,
                       "evidence": f"{claimant} said \"{actor_name}\" was behind it."})
        if rng.random() < 0.4:
            claims.append({"claimant": "the foreign ministry", "claimant_kind": "accused",
                           "claimant_country": actor_state, "stance": "denies", "subject": actor_state,
                           "subject_state": actor_state, "victim": None,
                           "evidence": "The foreign ministry called the accusation groundless."})
    return {"indicators": rng.sample(indicators, rng.randint(3, len(indicators))),
            "techniques": rng.sample(TECHNIQUES, rng.randint(1, 5)), "claims": claims}


def synthetic_records(count: int, seed: int = 11) -> list[StoryRecord]:
    from bench.synthetic import synthetic_articles
    from coverwatch.taxonomy import default_taxonomy

    taxonomy = default_taxonomy()
    raw = synthetic_articles(count, seed=seed)
    articles = _enriched([Article(url=item["url"], title=item["title"], body=item["body"], source=item["source"],
                                  published_at=item["published_at"], language=item["language"]) for item in raw])
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for article in articles:
        groups[article.title.rsplit(" (report", 1)[0]].append(article.to_document())
    rng = random.Random(seed)
    records = []
    for number, (_, documents) in enumerate(sorted(groups.items())):
        actor = taxonomy.by_id.get((documents[0].get("actors") or [""])[0])
        extra = _exchange_fields(rng, number, actor.state if actor else None, actor.name if actor else "")
        for document in documents:
            document.update(extra)
        records.append(_record(f"synthetic-{number}", documents))
    return records


def demo_records() -> list[StoryRecord]:
    from crawlers.demo_site.site import load_demo_articles
    from workers.clustering import OnlineClusterer
    from workers.stories import item_from_article, vectorise

    _, demo = load_demo_articles()
    articles = _enriched([Article(url=f"https://{a.outlet}.example{a.path}", title=a.title, lead=a.lead,
                                  body="\n".join(a.paragraphs), source=a.outlet, published_at=a.published)
                          for a in demo])
    vectorise(articles)
    clusterer = OnlineClusterer()
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for article in sorted(articles, key=lambda a: (a.published_at or a.crawled_at, a.id)):
        story_id = clusterer.assign(item_from_article(article), []).story_id
        groups[story_id].append(article.to_document())
    return [_record(story_id, documents) for story_id, documents in groups.items()]


def _bundles(records: Sequence[StoryRecord]) -> list[str]:
    """One bundle per story, one per actor, one of all stories."""
    by_actor: dict[str, list[StoryRecord]] = defaultdict(list)
    for record in records:
        for actor in record.values("actors"):
            by_actor[actor].append(record)
    bundles = [render_stix([record], OPTIONS) for record in records]
    bundles += [render_stix(stories, OPTIONS) for stories in by_actor.values()]
    return [*bundles, render_stix(records, OPTIONS)]


def validate(bundles: Sequence[str]) -> dict[str, Any]:
    from stix2validator import ValidationOptions, validate_string

    options = ValidationOptions(version="2.1")
    errors, warnings, objects, types = [], Counter[str](), 0, Counter[str]()
    for bundle in bundles:
        result = validate_string(bundle, options)
        errors += [str(error) for error in result.errors]
        warnings.update(str(warning).split("{", 1)[1][:3] for warning in result.warnings)
        parsed = json.loads(bundle)["objects"]
        objects += len(parsed)
        types.update(stix_object["type"] for stix_object in parsed)
    return {"bundles": len(bundles), "objects": objects, "errors": len(errors), "first_errors": errors[:3],
            "warnings": sum(warnings.values()), "warnings_by_check": dict(sorted(warnings.items())),
            "object_types": dict(sorted(types.items()))}


def render_ms_per_story(records: Sequence[StoryRecord], runs: int) -> float:
    """Median over runs of the mean time to render one story's bundle."""
    per_run = []
    for _ in range(runs):
        started = time.perf_counter()
        for record in records:
            render_stix([record], OPTIONS)
        per_run.append((time.perf_counter() - started) * 1000 / max(len(records), 1))
    return statistics.median(per_run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    figures: dict[str, Any] = {"articles": args.articles, "runs": args.runs}
    render_stix([], OPTIONS)  # imports and the taxonomy, once, outside the timing
    for corpus, records in (("synthetic", synthetic_records(args.articles)), ("demo", demo_records())):
        checked = validate(_bundles(records))
        checked["stories"] = len(records)
        checked["render_ms_per_story"] = round(render_ms_per_story(records, args.runs), 2)
        print(f"{corpus}: {checked['stories']} stories, {checked['bundles']} bundles, {checked['objects']} objects, "
              f"{checked['errors']} errors, {checked['warnings']} warnings {checked['warnings_by_check']}, "
              f"{checked['render_ms_per_story']} ms per story")
        print(f"  object types: {checked['object_types']}")
        for error in checked["first_errors"]:
            print(f"  error: {error}")
        figures[corpus] = checked
    figures["errors"] = sum(figures[corpus]["errors"] for corpus in ("synthetic", "demo"))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
