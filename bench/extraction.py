"""Extraction on one core: pages/s and body F1 on the recorded fixtures (and the
demo site's pages), for Coverwatch's extractor and for trafilatura's defaults
measured in the same run. Medians over --runs; the last line is JSON.

Rates are pages per second of this process's CPU time: the machine is shared,
and wall-clock rates there swung by half from run to run with the others' load."""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent


def corpus() -> list[tuple[str, str, str]]:
    """(html, url, expected body) for every page that has an article."""
    from crawlers.demo_site.site import build_pages, load_demo_articles
    from crawlers.extraction import decode_page

    pages = []
    for expected_file in sorted((ROOT / "tests" / "fixtures" / "pages").glob("*.json")):
        expected = json.loads(expected_file.read_text(encoding="utf-8"))
        if "body" in expected:
            raw = gzip.decompress(expected_file.with_suffix("").with_suffix(".html.gz").read_bytes())
            pages.append((decode_page(raw), expected["url"], expected["body"]))
    base = "http://demo.example"
    site = build_pages(base)
    _, articles = load_demo_articles()
    for article in articles:
        pages.append((site[article.path].body.decode(), base + article.path, "\n".join(article.paragraphs)))
    return pages


def measure(runs: int) -> dict[str, float]:
    """Our extractor and stock trafilatura on the recorded fixtures and demo pages."""
    import trafilatura

    from crawlers.extraction import extract_article
    from workers.evaluation import token_f1

    pages = corpus()

    def ours(html: str, url: str) -> str:
        return extract_article(html, url).body

    def baseline(html: str, url: str) -> str:
        return trafilatura.extract(html, url=url) or ""

    results: dict[str, dict[str, float]] = {}
    for name, extractor in (("coverwatch", ours), ("trafilatura_default", baseline)):
        rates = []
        scores: list[float] = []
        for _ in range(runs):
            started = time.process_time()
            bodies = [extractor(html, url) for html, url, _ in pages]
            rates.append(len(pages) / max(time.process_time() - started, 1e-9))
            scores = [token_f1(expected, body) for (_, _, expected), body in zip(pages, bodies, strict=True)]
        results[name] = {"pages_per_s": round(statistics.median(rates), 1),
                         "body_f1": round(statistics.mean(scores), 4)}
        print(f"{name}: {results[name]['pages_per_s']} pages/s, body F1 {results[name]['body_f1']} "
              f"over {len(pages)} pages", flush=True)
    figures = {"pages": len(pages), "runs": runs,
               "extraction_pages_per_s": results["coverwatch"]["pages_per_s"],
               "extraction_body_f1": results["coverwatch"]["body_f1"],
               "trafilatura_pages_per_s": results["trafilatura_default"]["pages_per_s"],
               "trafilatura_body_f1": results["trafilatura_default"]["body_f1"]}
    figures["speed_ratio"] = round(figures["extraction_pages_per_s"] / figures["trafilatura_pages_per_s"], 3)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(measure(args.runs)))


if __name__ == "__main__":
    main()
