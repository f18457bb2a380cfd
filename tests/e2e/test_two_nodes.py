"""The pipeline on a two-node OpenSearch cluster (two launcher processes, one
cluster name, a replica of every shard) with two Celery workers that know both
nodes and two crawler processes sharing the crawl queue; one engine node is
killed in the middle of the run, and the run still completes: every article,
handed over or crawled, indexed once with its story, every alert sent once.

Two manager-eligible nodes keep a voting configuration of one, so only the
node outside it can be lost without losing the cluster (a third
manager-eligible node lifts that: production clusters want three). The test kills
that node: it is the data-node failure a replica exists for.
"""

from __future__ import annotations

import importlib
import os
import re
import signal
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from coverwatch.connections import redis_client_for
from coverwatch.models import Article
from coverwatch.settings import Settings, get_settings
from coverwatch.urls import article_id, canonicalize_url
from crawlers.demo_site.server import SiteServer
from crawlers.dispatch import dispatch_due
from search.engine import SearchEngine, connect
from tests.e2e.crawler_process import crawler_process, eventually
from tests.e2e.pages import TURLA, VOLT, article_page, rss
from tests.fixtures.story_corpus import build_corpus

pytestmark = pytest.mark.e2e

HTTP_PORTS, TRANSPORT_PORTS = (9281, 9282), (9381, 9382)
NODE_NAMES = ("cw-two-a", "cw-two-b")


def _node_settings(base: Settings, folder: Path, number: int) -> Settings:
    seeds = ",".join(f"127.0.0.1:{port}" for port in TRANSPORT_PORTS)
    return base.model_copy(update={
        "var_dir": folder / NODE_NAMES[number], "search_url": f"http://127.0.0.1:{HTTP_PORTS[number]}",
        "opensearch_transport_port": TRANSPORT_PORTS[number], "opensearch_node_name": NODE_NAMES[number],
        "opensearch_cluster_name": "coverwatch-two-nodes", "opensearch_seed_hosts": seeds,
        "opensearch_initial_managers": ",".join(NODE_NAMES), "opensearch_heap": "512m",
        "snapshot_dir": folder / "snapshots"})


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory: pytest.TempPathFactory, services: None) -> Iterator[list[Settings]]:
    from deploy.services import SERVICES, ServiceError, start, stop

    opensearch = next(service for service in SERVICES if service.name == "opensearch")
    folder = tmp_path_factory.mktemp("two-nodes")
    nodes = [_node_settings(get_settings(), folder, number) for number in range(2)]
    failures: list[Exception] = []

    def start_node(node: Settings) -> None:
        try:
            start(opensearch, node)
        except (ServiceError, OSError) as failure:  # reported by the main thread below
            failures.append(failure)

    # Each waits for the other to form the cluster, so they start together.
    starters = [threading.Thread(target=start_node, args=(node,)) for node in nodes]
    for starter in starters:
        starter.start()
    for starter in starters:
        starter.join()
    try:
        assert not failures, failures
        yield nodes
    finally:
        for node in nodes:
            stop(opensearch, node)


def _voting_split(engine: SearchEngine) -> tuple[str, str]:
    """(the node to keep, the node that can be lost) by name."""
    names = {node_id: node["name"] for node_id, node in engine.request("GET", "/_nodes")["nodes"].items()}
    state = engine.request("GET", "/_cluster/state/metadata")
    voting = state["metadata"]["cluster_coordination"]["last_committed_config"]
    voters = [names[node_id] for node_id in voting if node_id in names]
    if len(voters) != 1:
        # Both vote (not what auto-shrinking gives two nodes): withdraw the one to lose.
        engine.request("POST", "/_cluster/voting_config_exclusions", params={"node_names": NODE_NAMES[1]})
        return NODE_NAMES[0], NODE_NAMES[1]
    keep = voters[0]
    return keep, next(name for name in NODE_NAMES if name != keep)


def _articles() -> list[dict[str, Any]]:
    """Synthetic filler, and the labelled incident corpus, whose articles are on
    topic, so that some of them alert."""
    synthetic = importlib.import_module("bench.synthetic")
    records: list[dict[str, Any]] = synthetic.synthetic_articles(180, seed=2026)
    for number, record in enumerate(records):
        record["url"] = f"{record['url']}/two-nodes-{number}"
    incidents, _gold = build_corpus(seed=5)
    return records + [dict(record) for record in incidents]


CRAWLED_OUTLETS = [f"two-nodes-outlet-{n}" for n in range(8)]
STORIES_PER_OUTLET = 2


def _crawled_site(site: SiteServer, folder: Path) -> Path:
    """Feeds of eight outlets on the local site, two articles each (of one
    incident, so they form stories), and the sources file that lists them."""
    entries = []
    for outlet in CRAWLED_OUTLETS:
        links = []
        for number in range(STORIES_PER_OUTLET):
            path = f"/{outlet}/report-{number}.html"
            paragraphs = [f"{outlet} correspondents report, in dispatch {number}, on the ministry intrusion.",
                          *(TURLA if number % 2 == 0 else VOLT)]
            site.pages[path] = article_page(f"{outlet}: {paragraphs[1][:60]}", paragraphs)
            links.append((f"{outlet} report {number}", path))
        site.pages[f"/{outlet}/feed.xml"] = rss(site.base_url, links)
        entries.append(f"  - name: {outlet}\n    urls: {site.base_url}/{outlet}/feed.xml\n"
                       "    schedule: every 1h\n    keep_off_topic: true\n")
    sources = folder / "sources.yml"
    sources.write_text("sources:\n" + "".join(entries))
    return sources


def _crawled_indexed(engine: SearchEngine, index: str) -> int:
    engine.request("POST", f"/{index}/_refresh")
    answer = engine.request("POST", f"/{index}/_count", {"query": {"terms": {"source": CRAWLED_OUTLETS}}})
    return int(answer["count"])


def test_the_run_completes_with_one_engine_node_killed(
        two_nodes: list[Settings], tmp_path: Path) -> None:
    from alerts.rule_model import AlertRule
    from alerts.rules import register_rule
    from console.demo import reset_deployment
    from deploy.services import SERVICES
    from search import queries
    from search.indexes import ARTICLES, ensure_indices, refresh
    from workers.handoff import submit_batch, wait_for_batches
    from workers.process import start_worker, stop_worker

    opensearch = next(service for service in SERVICES if service.name == "opensearch")
    first = connect(two_nodes[0].search_url)
    keep_name, lose_name = _voting_split(first)
    keep = two_nodes[NODE_NAMES.index(keep_name)]
    lose = two_nodes[NODE_NAMES.index(lose_name)]
    outbox = tmp_path / "outbox"
    overrides = {"COVERWATCH_INDEX_PREFIX": f"two-nodes-{uuid.uuid4().hex[:8]}",
                 # Both nodes, the one to be lost first: the clients must pass over it.
                 "COVERWATCH_SEARCH_URL": f"{lose.search_url},{keep.search_url}",
                 "COVERWATCH_INDEX_REPLICAS": "1",
                 "COVERWATCH_OUTBOX_DIR": str(outbox)}
    previous = {name: os.environ.get(name) for name in overrides}
    os.environ.update(overrides)
    _forget_connections()
    deployment = get_settings()
    engine = connect(keep.search_url)
    workers = []
    try:
        ensure_indices(engine, deployment)
        engine.request("GET", "/_cluster/health", params={"wait_for_status": "green"})
        rule = AlertRule(name="two-nodes-typhoon", query_string="Typhoon", subscribers=["soc@example.org"])
        register_rule(engine, deployment, rule)
        workers = [start_worker(deployment, tmp_path / f"worker-{n}.log", concurrency=1,
                                extra_env=overrides, name=f"two-nodes-{n}") for n in range(2)]
        records = _articles()
        crawler_logs = [tmp_path / f"crawler-{n}.log" for n in range(2)]
        broker = redis_client_for(deployment)
        with ExitStack() as running:
            site = running.enter_context(SiteServer({}))
            sources = _crawled_site(site, tmp_path)
            # Three sources at a time each, so neither crawler can take all eight.
            for log in crawler_logs:
                running.enter_context(crawler_process(log, broker, deployment, time_limit=60, jobs=3))
            began = time.monotonic()
            assert sorted(dispatch_due(sources, broker, deployment, datetime.now(UTC))) == sorted(CRAWLED_OUTLETS)
            chains = [submit_batch(records[i:i + 20], keep_off_topic=True) for i in range(0, len(records), 20)]
            _wait_for_indexed(engine, deployment.index_name(ARTICLES), at_least=40)
            print(f"node killed {time.monotonic() - began:.0f}s into the run")
            node_pid = int(opensearch.pid_file(lose).read_text())
            os.killpg(node_pid, signal.SIGKILL)
            figures = wait_for_batches(chains, timeout=300, progress_every=20)
            crawled = len(CRAWLED_OUTLETS) * STORIES_PER_OUTLET
            eventually(lambda: _crawled_indexed(engine, deployment.index_name(ARTICLES)) >= crawled, 240,
                       "the crawled articles")
            print(f"run done {time.monotonic() - began:.0f}s after it began")
        # Both crawlers took part: each logged sources it ran to the end with new articles.
        ran = [set(re.findall(r"source (two-nodes-outlet-\d+): finished", log.read_text())) for log in crawler_logs]
        assert all(ran) and set().union(*ran) == set(CRAWLED_OUTLETS), ran
        crawled_ids = {article_id(canonicalize_url(f"{site.base_url}/{outlet}/report-{number}.html"))
                       for outlet in CRAWLED_OUTLETS for number in range(STORIES_PER_OUTLET)}

        assert figures["batches_failed"] == 0 and figures["batches_ok"] == len(chains), figures
        health = engine.request("GET", "/_cluster/health")
        assert health["number_of_nodes"] == 1 and health["status"] in {"yellow", "green"}, health
        refresh(engine, deployment, ARTICLES)
        ids = sorted({Article.model_validate(record).id for record in records} | crawled_ids)
        answer = engine.request("POST", f"/{deployment.index_name(ARTICLES)}/_search",
                                {"query": {"match_all": {}}, "size": len(ids) + 50,
                                 "_source": ["story_id"]})
        hits = answer["hits"]["hits"]
        assert sorted(hit["_id"] for hit in hits) == ids  # each article once, none lost
        assert all(hit["_source"].get("story_id") for hit in hits)

        matched = engine.request("POST", f"/{deployment.index_name(ARTICLES)}/_search",
                                 queries.rule_matches_between(rule.matching_query(), "2000-01-01",
                                                              "2100-01-01", size=len(ids)))
        stories = {hit["_source"]["story_id"] for hit in matched["hits"]["hits"]}
        messages = sorted(outbox.glob("*.eml"))
        assert stories, "the corpus must hold alertable Typhoon coverage for the check to mean anything"
        assert len(messages) == len(stories)  # one message per matched story, none twice
    finally:
        for worker in workers:
            stop_worker(worker)
        reset_deployment(deployment)
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        _forget_connections()


def _forget_connections() -> None:
    """This process's cached settings and clients name the deployment they were
    made for; the run switches deployments, so they are made again."""
    from workers import resources

    get_settings.cache_clear()
    resources.engine.cache_clear()
    resources.redis_client.cache_clear()


def _wait_for_indexed(engine: SearchEngine, index: str, at_least: int, timeout: float = 180) -> None:
    """Block until the run is well under way, so the node dies mid-run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        engine.request("POST", f"/{index}/_refresh")
        if int(engine.request("GET", f"/{index}/_count")["count"]) >= at_least:
            return
        time.sleep(0.5)
    raise AssertionError(f"fewer than {at_least} articles indexed within {timeout:.0f}s")
