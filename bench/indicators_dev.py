"""Indicator extraction on real articles: our hand-labelled gold set
(bench/data/indicators_gold.jsonl, ids and expected values only; the guide is
docs/indicators-gold.md) over the texts of four shared development sets, read
at run time and never copied: relevance-dev (JSON lines), story-dev (ECB+
JSON lines) and the HTML pages of extraction-dev and extraction-dev/modern,
whose text is what the crawler's extractor (``crawlers.extraction.extract_article``)
makes of them, as the pipeline sees it.

Each labelled article goes through ``workers.indicators.extract_indicators``
as the enrich stage calls it (title, lead and body; the outlet's hosts), or,
with ``--library``, through one library's raw output mapped to our types.
Scored per split ("tune"; "held", never tuned on), per source set, per type and, CVE ids
aside, per form (defanged or plain as written): a predicted value the gold names is a true
positive, one the gold leaves optional counts neither way, any other a false
positive. Also how many of the labelled not-indicators came out and how many
articles without indicators got any. The tune split's false positives and
misses are listed by value (never article text); the last line is JSON.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dev_sets import shared_dir  # noqa: E402

GOLD_FILE = ROOT / "bench" / "data" / "indicators_gold.jsonl"
SPLITS = ("tune", "held", "all")
TYPES = ("url", "domain", "ipv4", "ipv6", "email", "md5", "sha1", "sha256", "cve", "btc", "xmr")
FORMS = ("plain", "defanged")
GOAL = {"precision": 0.95, "recall": 0.90}
LIBRARIES = ("iocsearcher", "ioc-finder", "iocextract")
# BleepingComputer's bodies are Markdown: ``1.2.3\[.\]4``, ``evil\\.com``. Only for telling
# defanged from plain; the text the extractor reads is left as the pipeline has it.
_MARKDOWN_ESCAPE = re.compile(r"\\+([\[\]._()*-])")

Pair = tuple[str, str]
Extractor = Callable[[str, tuple[str, ...]], list[Pair]]


class ExtractorMissing(SystemExit):
    """workers.indicators (or the library asked for) cannot be imported."""


@dataclass(frozen=True)
class GoldArticle:
    set: str
    file: str
    id: str
    split: str
    outlet_domains: tuple[str, ...]
    expected: dict[Pair, str]  # canonical (type, value) -> form
    optional: frozenset[Pair]
    not_indicators: frozenset[str]


def canonical(kind: str, value: str) -> Pair:
    """The form two values are compared in: names and hashes folded, CVE ids upper-case;
    URLs without their scheme or a final slash (``hxxp://a[.]b/`` names ``a.b``)."""
    value = value.strip()
    if kind == "cve":
        return kind, value.upper()
    if kind == "url":
        rest = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", value)
        host, slash, path = rest.partition("/")
        return kind, f"{host.lower().rstrip('.')}{slash}{path}".rstrip("/")
    return kind, value.lower().rstrip(".")


def _loose(value: str) -> str:
    return canonical("url", value)[1] if "/" in value else value.lower()


def read_gold(path: Path = GOLD_FILE) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@cache
def gold() -> tuple[GoldArticle, ...]:
    return tuple(GoldArticle(
        set=row["set"], file=row["file"], id=row["id"], split=row["split"], outlet_domains=tuple(row["outlet_domains"]),
        expected={canonical(e["type"], e["value"]): e["form"] for e in row["expected"]},
        optional=frozenset(canonical(o["type"], o["value"]) for o in row["optional"]),
        not_indicators=frozenset(_loose(value) for value in row["not_indicators"]))
        for row in read_gold())


def articles_in(split: str) -> list[GoldArticle]:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    return [item for item in gold() if split == "all" or item.split == split]


ArticleKey = tuple[str, str, str]  # (set, file, id)
SETS = ("relevance-dev", "extraction-dev", "extraction-dev/modern", "story-dev")
HTML_SETS = ("extraction-dev", "extraction-dev/modern")


class TextMissing(SystemExit):
    """A gold article's text is not in the shared development sets (or its page no longer extracts)."""


def key_of(item: GoldArticle) -> ArticleKey:
    return item.set, item.file, item.id


def _json_lines_texts(path: Path, ids: set[str]) -> dict[str, str]:
    """id -> title and body of the records of one JSON-lines file that are wanted."""
    if not path.exists():
        raise TextMissing(f"{path}: missing (the texts are read from ../shared or COVERWATCH_SHARED_DIR)")
    found: dict[str, str] = {}
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            if str(record["id"]) in ids:
                found[str(record["id"])] = f"{record.get('title') or ''}\n\n{record['body']}"
    return found


def page_urls(set_name: str) -> dict[str, str]:
    """Page file (under the set's folder) -> its URL, from the set's annotation file."""
    folder = shared_dir() / set_name
    if set_name == "extraction-dev":
        return {f"pages/{row['id']}.html.gz": row.get("url") or ""
                for row in map(json.loads, (folder / "ground-truth.jsonl").read_text(encoding="utf-8").splitlines())}
    return {f"pages/{row['file']}": row.get("url") or ""
            for row in map(json.loads, (folder / "truth.jsonl").read_text(encoding="utf-8").splitlines())}


def page_text(set_name: str, file: str, url: str) -> str:
    """Title and body as the crawler's extractor makes them of one stored page (the pipeline's view)."""
    from crawlers.extraction import ExtractionError, extract_article

    path = shared_dir() / set_name / file
    if not path.exists():
        raise TextMissing(f"{path}: missing (the pages are read from ../shared or COVERWATCH_SHARED_DIR)")
    try:
        page = extract_article(gzip.decompress(path.read_bytes()), url or _NO_URL)
    except ExtractionError as error:
        raise TextMissing(f"{set_name}/{file}: the extractor gives no article ({error})") from error
    return f"{page.title}\n\n{page.body}"


# A page whose set records no URL is extracted as if from nowhere (it has no outlet domain either).
_NO_URL = "http://unknown.invalid/"


@cache
def texts() -> dict[ArticleKey, str]:
    """(set, file, id) -> the text the enrich stage reads: title, lead (in the body here) and body."""
    wanted = {key_of(item) for item in gold()}
    found: dict[ArticleKey, str] = {}
    for set_name, file in sorted({(set_name, file) for set_name, file, _ in wanted}):
        if set_name in HTML_SETS:
            continue
        ids = {article_id for s, f, article_id in wanted if (s, f) == (set_name, file)}
        for article_id, text in _json_lines_texts(shared_dir() / set_name / file, ids).items():
            found[(set_name, file, article_id)] = text
    for set_name in HTML_SETS:
        pages = sorted(key for key in wanted if key[0] == set_name)
        urls = page_urls(set_name) if pages else {}
        for key in pages:
            found[key] = page_text(set_name, key[1], urls.get(key[1], ""))
    missing = wanted - set(found)
    if missing:
        raise TextMissing(f"gold ids not in the shared dev sets: {sorted(missing)[:5]}")
    return found


def form_of(text: str, kind: str, value: str) -> str:
    """``plain`` when the value is written as is (Markdown escapes aside), else ``defanged``."""
    if kind == "cve":
        return "plain"
    written = _MARKDOWN_ESCAPE.sub(r"\1", text).casefold()
    return "plain" if canonical(kind, value)[1].casefold() in written else "defanged"


# ---- what is scored: our extractor, or one library's raw output ----

def _ours() -> Extractor:
    try:
        from workers.indicators import extract_indicators
    except ImportError as error:
        raise ExtractorMissing(f"workers.indicators.extract_indicators cannot be imported ({error}); "
                               f"the indicator extractor is not in this checkout yet") from error

    def extract(text: str, outlet_domains: tuple[str, ...]) -> list[Pair]:
        return [(found.type, found.value) for found in extract_indicators(text, outlet_domains=outlet_domains)]
    return extract


_IOCSEARCHER_TYPES = {"url": "url", "fqdn": "domain", "ip4": "ipv4", "ip6": "ipv6", "email": "email",
                      "md5": "md5", "sha1": "sha1", "sha256": "sha256", "cve": "cve", "bitcoin": "btc",
                      "monero": "xmr"}
_IOC_FINDER_TYPES = {"urls": "url", "domains": "domain", "ipv4s": "ipv4", "ipv6s": "ipv6",
                     "email_addresses": "email", "md5s": "md5", "sha1s": "sha1", "sha256s": "sha256",
                     "cves": "cve", "bitcoin_addresses": "btc", "monero_addresses": "xmr"}


def _library(name: str) -> Extractor:
    """The library's own output on the whole text, its defaults, only mapped to our types."""
    try:
        if name == "iocsearcher":
            from iocsearcher.searcher import Searcher

            searcher = Searcher()

            def extract(text: str, outlet_domains: tuple[str, ...]) -> list[Pair]:
                return [(_IOCSEARCHER_TYPES[ioc.name], ioc.value) for ioc in searcher.search_data(text)
                        if ioc.name in _IOCSEARCHER_TYPES]
        elif name == "ioc-finder":
            from ioc_finder import find_iocs

            def extract(text: str, outlet_domains: tuple[str, ...]) -> list[Pair]:
                found = find_iocs(text)
                return [(kind, value) for key, kind in _IOC_FINDER_TYPES.items() for value in found.get(key) or ()]
        elif name == "iocextract":
            import iocextract

            def extract(text: str, outlet_domains: tuple[str, ...]) -> list[Pair]:
                # iocextract finds no bare domains and no CVE ids.
                readers: dict[str, Callable[[], Iterable[str]]] = {
                    "url": lambda: iocextract.extract_urls(text, refang=True),
                    "ipv4": lambda: iocextract.extract_ipv4s(text, refang=True),
                    "ipv6": lambda: iocextract.extract_ipv6s(text),
                    "email": lambda: iocextract.extract_emails(text, refang=True),
                    "md5": lambda: iocextract.extract_md5_hashes(text),
                    "sha1": lambda: iocextract.extract_sha1_hashes(text),
                    "sha256": lambda: iocextract.extract_sha256_hashes(text)}
                return [(kind, value) for kind, read in readers.items() for value in read()]
        else:
            raise SystemExit(f"--library must be one of {LIBRARIES}, not {name!r}")
    except ImportError as error:
        raise ExtractorMissing(f"{name} cannot be imported ({error})") from error
    return extract


def extractor(library: str | None = None) -> Extractor:
    return _library(library) if library else _ours()


# ---- scoring ----

@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def figures(self) -> dict[str, Any]:
        """None where a figure has nothing to count (no gold values, or nothing predicted)."""
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else None
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else None
        f1 = (2 * precision * recall / (precision + recall) if precision + recall else 0.0) \
            if precision is not None and recall is not None else None
        return {"precision": _rounded(precision), "recall": _rounded(recall), "f1": _rounded(f1),
                "tp": self.tp, "fp": self.fp, "fn": self.fn}


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@dataclass(frozen=True)
class Scored:
    article: GoldArticle
    predicted: frozenset[Pair]
    false_positives: tuple[Pair, ...]
    misses: tuple[Pair, ...]


def score_article(article: GoldArticle, predicted: Iterable[Pair]) -> Scored:
    found = frozenset(canonical(kind, value) for kind, value in predicted)
    extra = sorted(found - set(article.expected) - article.optional)
    missed = sorted(set(article.expected) - found)
    return Scored(article, found, tuple(extra), tuple(missed))


def evaluate(split: str, library: str | None = None) -> dict[str, Any]:
    """Figures for one split ("tune", "held" or "all"), of our extractor or ``library``."""
    scored, cpu_ms = run(split, library)
    return figures(scored, cpu_ms)


def run(split: str, library: str | None = None) -> tuple[list[Scored], float]:
    items = articles_in(split)
    extract, sources = extractor(library), texts()
    extract("warm-up: CVE-2021-44228 at evil[.]example and 192.0.2[.]1", ())  # lists and grammars load once
    scored = []
    cpu = 0.0
    for item in items:
        text = sources[key_of(item)]
        started = time.process_time()
        predicted = extract(text, item.outlet_domains)
        cpu += time.process_time() - started
        scored.append(score_article(item, predicted))
    return scored, round(cpu * 1000 / max(len(items), 1), 3)


def figures(scored: list[Scored], cpu_ms: float) -> dict[str, Any]:
    # CVE ids are most of the gold, the easiest part and never defanged: the rest is also
    # scored alone, and the forms (plain, defanged) are of the rest only.
    overall, beyond_cves, by_type = Tally(), Tally(), {kind: Tally() for kind in TYPES}
    by_form = {form: Tally() for form in FORMS}
    by_set = {name: Tally() for name in SETS}
    set_articles = {name: [0, 0] for name in SETS}  # articles, of which without indicators but given some
    negatives_labelled = negatives_produced = quiet_articles = quiet_with_extras = 0
    for result in scored:
        article, text = result.article, texts()[key_of(result.article)]
        hits = result.predicted & set(article.expected)
        source = by_set.setdefault(article.set, Tally())
        source.tp += len(hits)
        source.fp += len(result.false_positives)
        source.fn += len(result.misses)
        counts = set_articles.setdefault(article.set, [0, 0])
        counts[0] += 1
        counts[1] += not article.expected and bool(result.false_positives)
        for pair in hits:
            overall.tp += 1
            beyond_cves.tp += pair[0] != "cve"
            by_type[pair[0]].tp += 1
            if pair[0] != "cve":
                by_form[article.expected[pair]].tp += 1
        for pair in result.false_positives:
            overall.fp += 1
            beyond_cves.fp += pair[0] != "cve"
            by_type.setdefault(pair[0], Tally()).fp += 1
            if pair[0] != "cve":
                by_form[form_of(text, *pair)].fp += 1
        for pair in result.misses:
            overall.fn += 1
            beyond_cves.fn += pair[0] != "cve"
            by_type[pair[0]].fn += 1
            if pair[0] != "cve":
                by_form[article.expected[pair]].fn += 1
        produced = {value for _, value in result.predicted} | {_loose(value) for _, value in result.predicted}
        negatives_labelled += len(article.not_indicators)
        negatives_produced += len(article.not_indicators & produced)
        if not article.expected:
            quiet_articles += 1
            quiet_with_extras += bool(result.false_positives)
    return {"articles": len(scored), "with_indicators": len(scored) - quiet_articles,
            **overall.figures(), "beyond_cves": beyond_cves.figures(),
            "by_type": {kind: tally.figures() for kind, tally in by_type.items() if tally.tp + tally.fp + tally.fn},
            "by_form": {form: tally.figures() for form, tally in by_form.items()},
            "by_set": {name: {**tally.figures(), "articles": set_articles[name][0],
                              "quiet_articles_given_any": set_articles[name][1]}
                       for name, tally in by_set.items() if set_articles[name][0]},
            "not_indicators_labelled": negatives_labelled, "not_indicators_produced": negatives_produced,
            "articles_without_indicators": quiet_articles, "of_which_with_false_positives": quiet_with_extras,
            "cpu_ms_per_article": cpu_ms}


def _figure(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.3f}"


def _row(name: str, values: dict[str, Any]) -> str:
    return (f"  {name:21} P {_figure(values['precision'])} R {_figure(values['recall'])} "
            f"F1 {_figure(values['f1'])}  "
            f"tp {values['tp']:3} fp {values['fp']:3} fn {values['fn']:3}")


def print_figures(label: str, values: dict[str, Any]) -> None:
    print(f"{label}: {values['articles']} articles ({values['with_indicators']} with indicators)")
    print(_row("all", values))
    print(_row("not cve", values["beyond_cves"]))
    for kind, row in values["by_type"].items():
        print(_row(kind, row))
    for form, row in values["by_form"].items():
        print(_row(form, row) + "  (not cve)")
    for name, row in values["by_set"].items():
        print(_row(name, row) + f"  ({row['articles']} articles; without indicators but given some: "
              f"{row['quiet_articles_given_any']})")
    print(f"  labelled not-indicators produced: {values['not_indicators_produced']} of "
          f"{values['not_indicators_labelled']}; articles without indicators given any: "
          f"{values['of_which_with_false_positives']} of {values['articles_without_indicators']}; "
          f"CPU {values['cpu_ms_per_article']} ms/article")


def print_errors(scored: list[Scored]) -> None:
    """The tune split's false positives and misses, values only."""
    for title, listed in (("false positives", [(s.article.id, pair) for s in scored for pair in s.false_positives]),
                          ("misses", [(s.article.id, pair) for s in scored for pair in s.misses])):
        print(f"tune {title}:")
        for article_id, (kind, value) in listed:
            print(f"  {article_id}  {kind} {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", choices=LIBRARIES,
                        help="score this library's raw output instead of workers.indicators")
    parser.add_argument("--tune-only", action="store_true",
                        help="score the tune split alone (while tuning: the held split is for the final report)")
    arguments = parser.parse_args()
    name = arguments.library or "workers.indicators"
    summary: dict[str, Any] = {"bench": "indicators_dev", "extractor": name, "goal": GOAL}
    tune_scored: list[Scored] = []
    for split in ("tune",) if arguments.tune_only else ("tune", "held"):
        scored, cpu_ms = run(split, arguments.library)
        values = figures(scored, cpu_ms)
        print_figures(f"{name} {split}", values)
        summary[split] = values
        if split == "tune":
            tune_scored = scored
    print(f"goal (issue 23): precision >= {GOAL['precision']}, recall >= {GOAL['recall']} on defanged and plain")
    print_errors(tune_scored)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
