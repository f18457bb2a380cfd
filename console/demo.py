"""``coverwatch demo``: the whole product on embedded defaults.

Starts the services, serves the offline demo news site (or crawls the real
sources when the internet answers and COVERWATCH_DEMO_SOURCES=live), runs a
worker, registers demo rules, crawls through the workers, prints a summary and
serves the analyst UI until Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from coverwatch.connections import redis_client_for
from coverwatch.settings import Settings, get_settings

DEMO_PREFIX = "demo"
DEMO_SITE_PORT = int(os.environ.get("COVERWATCH_DEMO_SITE_PORT", "8765"))
DEMO_RULES = [
    ("Russian services vs. defence ministries",
     "(Turla OR Snake OR FSB OR \"Venomous Bear\") AND (defence OR defense OR military)"),
    ("Volt Typhoon", "\"Volt Typhoon\" OR \"Bronze Silhouette\" OR \"Vanguard Panda\""),
]
# The seed story's development rule (issue 22): the first formal government attribution
# of BlackTech in a story. Of the story's four articles only the advisory carries one.
DEMO_ATTRIBUTION_RULE = ("BlackTech formally attributed", ["BlackTech"])
DEMO_SUBSCRIBER = "analyst@coverwatch.local"
DEMO_ADMIN = "admin"


def internet_reachable(host: str = "feeds.feedburner.com", timeout: float = 3.0) -> bool:
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
    except OSError:
        return False
    return True


def reset_deployment(settings: Settings) -> None:
    """Forget everything stored under this prefix (indices, Redis keys, queues)."""

    from search.engine import connect
    from search.indexes import drop_indices

    drop_indices(connect(settings.search_url), settings)
    client = redis_client_for(settings)
    for pattern in (f"{settings.index_prefix}:*", f"{settings.index_prefix}.*"):
        keys = list(client.scan_iter(match=pattern, count=1000))
        for start in range(0, len(keys), 500):
            client.unlink(*keys[start:start + 500])


def create_demo_admin(settings: Settings) -> str:
    """The demo's first admin (every page needs a login); returns its new password."""

    from web.accounts import AccountStore
    from web.credentials import Role, new_secret

    password = new_secret(12)
    AccountStore(redis_client_for(settings), settings).add_user(
        DEMO_ADMIN, Role.ADMIN, password, DEMO_SUBSCRIBER)
    return password


def _sources_file(settings: Settings, site_base: str | None) -> Path:
    if site_base is None:
        return settings.sources_file
    from crawlers.demo_site.site import demo_sources_yaml

    path = settings.var_dir / "demo" / "sources.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(demo_sources_yaml(site_base), encoding="utf-8")
    return path


def emails_per_rule(outbox: list[Path], rules: list[str]) -> dict[str, int]:
    """How many of the outbox's emails each rule sent (its name opens their subject)."""
    counts = dict.fromkeys(rules, 0)
    for path in outbox:
        subject = str(BytesParser(policy=policy.default).parsebytes(path.read_bytes())["Subject"] or "")
        for name in rules:
            if subject.startswith(f"[Coverwatch] {name}:"):
                counts[name] += 1
    return counts


def write_exchange_files(engine: Any, settings: Settings, directory: Path) -> dict[str, Any]:
    """Every demo story in each exchange format (issue 23), one file a format,
    as `coverwatch export --format NAME` would print them."""
    from search.story_records import story_records
    from workers.exchange import FORMATS, ExchangeOptions

    records = list(story_records(engine, settings))
    options = ExchangeOptions.from_settings(settings)
    directory.mkdir(parents=True, exist_ok=True)
    suffixes = {"stix": "stix.json", "misp": "misp.json", "atom": "atom"}
    for name, exchange_format in sorted(FORMATS.items()):
        (directory / f"stories.{suffixes.get(name, name)}").write_text(
            exchange_format.render(records, options), encoding="utf-8")
    indicators = {(item["type"], item["value"]) for record in records for item in record.values("indicators")}
    return {"stories": len(records), "indicators": len(indicators), "files": str(directory)}


def run_demo(wait: bool = True) -> int:
    # The demo wipes its own data at every start, so it never runs under the
    # deployment's prefix, whatever COVERWATCH_INDEX_PREFIX says.
    os.environ["COVERWATCH_INDEX_PREFIX"] = os.environ.get("COVERWATCH_DEMO_PREFIX", DEMO_PREFIX)
    get_settings.cache_clear()
    settings = get_settings()
    if not settings.outbox_dir:
        os.environ["COVERWATCH_OUTBOX_DIR"] = str(settings.var_dir / "demo" / "outbox")
        get_settings.cache_clear()
        settings = get_settings()

    from alerts.rule_types.attribution import AttributionRule
    from alerts.rules import AlertRule, register_rule
    from crawlers.demo_site.server import SiteServer
    from crawlers.demo_site.site import build_pages
    from deploy import services
    from search.documents import count_articles
    from search.engine import connect
    from search.indexes import ensure_indices
    from workers.process import start_worker, stop_worker

    print("starting services (first run builds the OpenSearch launcher with Maven)…", flush=True)
    for state in services.up(settings):
        print(f"  {state.name}: {state.detail}")
    reset_deployment(settings)
    for stale in settings.outbox.glob("*.eml"):
        stale.unlink()
    engine = connect(settings.search_url)
    ensure_indices(engine, settings)
    admin_password = create_demo_admin(settings)

    mode = os.environ.get("COVERWATCH_DEMO_SOURCES", "auto")
    use_live = mode == "live" or (mode == "auto" and internet_reachable()
                                  and settings.sources_file.exists())
    site: SiteServer | None = None
    if not use_live:
        # The offline site is on 127.0.0.1, which the network policy refuses by
        # default; the demo's crawl (a child process) allows loopback explicitly.
        allowed = os.environ.get("COVERWATCH_ALLOWED_PRIVATE_NETWORKS", "")
        os.environ["COVERWATCH_ALLOWED_PRIVATE_NETWORKS"] = ",".join(filter(None, (allowed, "127.0.0.0/8")))
        site = SiteServer({}, port=DEMO_SITE_PORT)
        site.pages.update(build_pages(site.base_url))
        site.start()
        print(f"  demo news site: {site.base_url}/ (offline, fictional outlets)")
    sources_file = _sources_file(settings, site.base_url if site else None)

    for name, query in DEMO_RULES:
        register_rule(engine, settings, AlertRule(name=name, query_string=query,
                                                  subscribers=[DEMO_SUBSCRIBER]))
    attribution_name, attribution_actors = DEMO_ATTRIBUTION_RULE
    register_rule(engine, settings, AttributionRule(name=attribution_name, actors=attribution_actors,
                                                    subscribers=[DEMO_SUBSCRIBER]))
    worker = start_worker(settings, settings.var_dir / "log" / "worker-demo.log")
    api: subprocess.Popen[bytes] | None = None
    try:
        print("crawling…", flush=True)
        crawl = subprocess.run(
            [sys.executable, "-m", "console.main", "crawl", "--sources", str(sources_file),
             "--wait", "--timeout", "600"],
            capture_output=True, text=True, env={**os.environ}, check=False)
        (settings.var_dir / "log").mkdir(parents=True, exist_ok=True)
        (settings.var_dir / "log" / "crawl-demo.log").write_text(crawl.stderr)
        if crawl.returncode != 0:
            print(crawl.stderr[-3000:], file=sys.stderr)
            return crawl.returncode
        outcome = json.loads(crawl.stdout.strip().splitlines()[-1])
        outbox = sorted(settings.outbox.glob("*.eml")) if not settings.smtp_url else []
        summary = {
            "sources": len(outcome["sources"]),
            "articles_found": sum(s["articles"] for s in outcome["sources"]),
            "articles_indexed": count_articles(engine, settings, duplicates=False),
            # Copies are kept, searchable and linked to their original, not dropped.
            "duplicates_linked": count_articles(engine, settings, duplicates=True),
            "rejected": sum(sum(s["rejected"].values()) + sum(s["errors"].values())
                            for s in outcome["sources"]),
            "off_topic_dropped": sum(s["articles"] for s in outcome["sources"])
            - count_articles(engine, settings),
            "emails_written": outcome["workers"]["emails_sent"],
            # Counted in the outbox (with COVERWATCH_SMTP_URL set, the server has them).
            "emails_per_rule": emails_per_rule(outbox, [*(name for name, _ in DEMO_RULES), attribution_name])
            if not settings.smtp_url else "at the SMTP server",
            "outbox": str(settings.outbox) if not settings.smtp_url else settings.smtp_url,
            "search_url": f"http://{settings.api_host}:{settings.api_port}/?q=Turla",
            # STIX, MISP and Atom files of every story; the same over TAXII 2.1 with an API token.
            "exchange": write_exchange_files(engine, settings, settings.var_dir / "demo" / "exchange"),
            "taxii_discovery": f"http://{settings.api_host}:{settings.api_port}/taxii2/",
            "login": f"{DEMO_ADMIN} / {admin_password}",
        }
        print("\nCoverwatch demo summary")
        for key, value in summary.items():
            print(f"  {key.replace('_', ' '):<20} {value}")
        for path in outbox[:5]:
            print(f"    {path.name}")
        print(json.dumps(summary))
        if not wait:
            return 0
        api = subprocess.Popen([sys.executable, "-m", "console.main", "serve"], env={**os.environ})
        print(f"\nsearch UI at {summary['search_url']} — Ctrl-C to stop "
              "(services keep running; `coverwatch services down` stops them)", flush=True)
        while api.poll() is None:
            time.sleep(1)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        if api is not None and api.poll() is None:
            api.terminate()
            api.wait(timeout=10)
        stop_worker(worker)
        if site is not None:
            site.stop()


def _demo(args: argparse.Namespace) -> int:
    return run_demo(wait=os.environ.get("DEMO_WAIT", "1") != "0")


def register(commands: Any) -> None:
    """Add the group's commands to the main parser's subcommands."""
    demo = commands.add_parser("demo", help="run the whole product on the offline demo site")
    demo.set_defaults(handler=_demo)
