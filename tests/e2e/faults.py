"""Fault-injection harness: a deployment of its own (a private Redis with AOF
on, a private OpenSearch node, workers, crawls, a real SMTP server and a fixture
news site) through which one slice of the fault corpus flows per fault.

A fault is one function in ``FAULTS`` (see ``fault``): it receives the
``Deployment`` and the ``Scenario`` whose crawl has just started, waits for its
moment, breaks something and brings it back, as a supervisor would.
``run_fault`` then waits for the pipeline to settle, replays dead letters
through ``coverwatch deadletter`` and checks the outcome against the corpus:
every article indexed once with the story of its incident, every expected
alert received once (counted by Message-ID at the SMTP server).

The private services matter: other engineers' tests share the Redis on :6379
and the node on :9200, which must never see a restart."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from coverwatch.settings import PROJECT_ROOT, Settings
from crawlers.demo_site.server import Page, SiteServer
from deploy.services import SERVICES, Service
from search.engine import SearchEngine, connect
from tests.e2e.fault_smtp import StallingSmtpSink, free_port
from tests.e2e.pages import article_page, rss
from tests.fixtures.fault_corpus import ALERT_QUERY, FaultArticle, build_fault_corpus

SUBSCRIBER = "desk@example.org"
RULE_NAME = "faults: espionage against defence targets"
INCIDENTS_PER_FAULT = 6
ARTICLES_PER_INCIDENT = 6
SETTLE_SECONDS = 120.0
# Nothing queued, held or crawling for this long while articles are missing: they are lost.
IDLE_WITH_GAPS_SECONDS = 15.0
PIPELINE_STAGES = ("ingest", "dedupe", "enrich", "cluster", "alerts", "refresh_stories", "merge_stories")
# A crawl lock outlives the crawl's time limit by 60 s (crawlers/run.py): a short
# limit keeps the wait after a killed crawl short.
CRAWL_TIME_LIMIT_SECONDS = 20


@dataclass
class Scenario:
    fault: str
    source: str
    articles: list[FaultArticle]
    sources_file: Path
    crawls: list[subprocess.Popen[bytes]] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FaultOutcome:
    fault: str
    articles: int
    indexed: int
    lost: int
    indexed_twice: int
    wrong_story: int
    emails_expected: int
    emails_received: int
    duplicate_messages: int
    missing_messages: int
    unexpected_messages: int
    dead_letters: int
    still_queued: int
    seconds: float
    notes: dict[str, Any]

    @property
    def survived(self) -> bool:
        return not (self.lost or self.indexed_twice or self.wrong_story or self.duplicate_messages
                    or self.missing_messages or self.unexpected_messages or self.still_queued)


class Deployment:
    """Private services, workers and crawls of one fault suite; every process it
    starts is its own child, killed and restarted only through these methods."""

    def __init__(self, root: Path, prefix: str) -> None:
        self.root = root
        self.settings = Settings(
            search_url=f"http://127.0.0.1:{free_port()}", redis_url=f"redis://127.0.0.1:{free_port()}/0",
            index_prefix=prefix, var_dir=root / "var", opensearch_heap="512m",
            opensearch_transport_port=free_port(), sources_file=root / "sources.yml", batch_size=8,
            crawl_time_limit=CRAWL_TIME_LIMIT_SECONDS)
        self._redis_service, self._search_service = SERVICES
        self._services: dict[str, subprocess.Popen[bytes]] = {}
        self.smtp = StallingSmtpSink()
        self.site = SiteServer({"/robots.txt": Page(b"User-agent: *\nAllow: /\n", "text/plain")})
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        self._worker_stages: dict[str, tuple[str, ...]] = {}
        self.rule_id = ""

    # --- services -----------------------------------------------------------------------------
    def start(self) -> None:
        from alerts.rules import AlertRule, register_rule
        from search.indexes import ensure_indices

        self.smtp.start()
        self.site.start()
        self.start_redis()
        self.start_search()
        ensure_indices(self.engine(), self.settings)
        self.rule_id = register_rule(self.engine(), self.settings,
                                     AlertRule(name=RULE_NAME, query_string=ALERT_QUERY, subscribers=[SUBSCRIBER]))
        self.start_worker("stages", PIPELINE_STAGES)
        self.start_worker("sender", ("deliver",))

    def stop(self) -> None:
        for name in list(self.workers):
            self.stop_worker(name)
        for name in list(self._services):
            self._stop_service(name)
        self.site.stop()
        self.smtp.stop()

    def kill_redis(self) -> None:
        """SIGKILL the private redis-server: no shutdown save, only what AOF holds survives."""
        process = self._services.pop("redis")
        process.kill()
        process.wait()

    def start_redis(self) -> None:
        self._start_service(self._redis_service)

    def stop_search(self) -> None:
        self._stop_service("opensearch")

    def start_search(self) -> None:
        self._start_service(self._search_service)

    def _start_service(self, service: Service) -> None:
        """Start a service with the command deploy/services.py uses, as a child of
        this process (kept, so that it can be killed and reaped here)."""
        log_path = service.log_file(self.settings)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            self._services[service.name] = subprocess.Popen(
                service.command(self.settings), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True, cwd=PROJECT_ROOT)
        deadline = time.monotonic() + service.start_timeout
        while not service.probe(self.settings).healthy:
            if self._services[service.name].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{service.name} did not start; see {log_path}")
            time.sleep(0.3)

    def _stop_service(self, name: str) -> None:
        process = self._services.pop(name)
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.settings.redis_url, socket_timeout=5)

    def engine(self) -> SearchEngine:
        return connect(self.settings.search_url)

    # --- processes ------------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        own = {"COVERWATCH_SEARCH_URL": self.settings.search_url, "COVERWATCH_REDIS_URL": self.settings.redis_url,
               "COVERWATCH_INDEX_PREFIX": self.settings.index_prefix, "COVERWATCH_VAR_DIR": str(self.settings.var_dir),
               "COVERWATCH_SOURCES_FILE": str(self.settings.sources_file), "COVERWATCH_SMTP_URL": self.smtp.url,
               "COVERWATCH_BATCH_SIZE": str(self.settings.batch_size),
               "COVERWATCH_CRAWL_TIME_LIMIT": str(self.settings.crawl_time_limit),
               "COVERWATCH_ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8"}
        inherited = {name: value for name, value in os.environ.items() if name != "COVERWATCH_OUTBOX_DIR"}
        return {**inherited, **own}

    def start_worker(self, name: str, stages: tuple[str, ...]) -> None:
        from workers.process import worker_command

        log_path = self.root / "log" / f"worker-{name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        start_at = log_path.stat().st_size if log_path.exists() else 0
        command = worker_command(self.settings, 1, f"{self.settings.index_prefix}-{name}@{socket.gethostname()}",
                                 stages)
        with log_path.open("ab") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       env=self.env(), cwd=PROJECT_ROOT, start_new_session=True)
        self.workers[name], self._worker_stages[name] = process, stages
        _wait_for_line(log_path, start_at, " ready.", process, timeout=90)

    def kill_worker(self, name: str) -> None:
        process = self.workers[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def restart_worker(self, name: str) -> None:
        self.start_worker(name, self._worker_stages[name])

    def stop_worker(self, name: str) -> None:
        from workers.process import stop_worker

        stop_worker(self.workers.pop(name))

    def start_crawl(self, scenario: Scenario) -> subprocess.Popen[bytes]:
        log_path = self.root / "log" / f"crawl-{scenario.source}-{len(scenario.crawls)}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "console.main", "crawl", scenario.source,
                 "--sources", str(scenario.sources_file)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env(), cwd=PROJECT_ROOT,
                start_new_session=True)
        scenario.crawls.append(process)
        return process

    def crawl_log(self, scenario: Scenario, number: int = -1) -> Path:
        number = number if number >= 0 else len(scenario.crawls) - 1
        return self.root / "log" / f"crawl-{scenario.source}-{number}.log"

    def cli(self, *arguments: str, timeout: float = 120) -> str:
        finished = subprocess.run([sys.executable, "-m", "console.main", *arguments], capture_output=True,
                                  text=True, env=self.env(), cwd=PROJECT_ROOT, timeout=timeout, check=False)
        if finished.returncode != 0:
            raise RuntimeError(f"coverwatch {' '.join(arguments)} failed: {finished.stderr[-2000:]}")
        return finished.stdout

    # --- scenarios ------------------------------------------------------------------------------
    def new_scenario(self, fault: str, seed: int) -> Scenario:
        source = f"faults-{fault.replace('_', '-')}"
        articles = build_fault_corpus(INCIDENTS_PER_FAULT, ARTICLES_PER_INCIDENT, seed, source)
        base = self.site.base_url
        for article in articles:
            self.site.pages[article.path] = article_page(article.title, article.paragraphs,
                                                         published=article.published)
        self.site.pages[f"/{source}/feed.xml"] = rss(base, [(article.title, article.path) for article in articles])
        sources_file = self.root / f"sources-{source}.yml"
        sources_file.write_text(f"sources:\n  - name: {source}\n    urls: {base}/{source}/feed.xml\n"
                                "    keep_off_topic: true\n", encoding="utf-8")
        return Scenario(fault, source, articles, sources_file)


Fault = Callable[[Deployment, Scenario], None]
FAULTS: dict[str, Fault] = {}


def fault(name: str) -> Callable[[Fault], Fault]:
    """Register one more fault: a function that breaks and restores something."""
    def register(inject: Fault) -> Fault:
        FAULTS[name] = inject
        return inject
    return register


def run_fault(deployment: Deployment, name: str, seed: int) -> FaultOutcome:
    from workers.deadletter import list_dead_letters

    scenario = deployment.new_scenario(name, seed)
    started = time.monotonic()
    deployment.start_crawl(scenario)
    FAULTS[name](deployment, scenario)
    expected = _expected_ids(deployment, scenario)
    settle(deployment, scenario, set(expected))
    letters = list_dead_letters(deployment.redis(), deployment.settings)
    if letters:
        # An operator's way out: list them, replay them, and the pipeline goes on.
        listing = deployment.cli("deadletter", "list")
        scenario.notes["dead_letters_listed"] = sum(letter.task_id in listing for letter in letters)
        deployment.cli("deadletter", "replay")
        settle(deployment, scenario, set(expected))
        scenario.notes["dead_letters_after_replay"] = len(list_dead_letters(deployment.redis(), deployment.settings))
    return _outcome(deployment, scenario, expected, len(letters), time.monotonic() - started)


def settle(deployment: Deployment, scenario: Scenario, expected: set[str], timeout: float = SETTLE_SECONDS) -> None:
    """Until the crawls have exited, every article is indexed and nothing is
    queued or held for a few seconds in a row (or the timeout)."""
    from workers.backlog import pipeline_backlog

    deadline = time.monotonic() + timeout
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        try:
            backlog = pipeline_backlog(deployment.redis(), deployment.settings)
            busy = sum(backlog.queued.values()) + sum(flight.messages for flight in backlog.in_flight.values())
            indexed = set(_stored(deployment, scenario))
        except (redis.RedisError, OSError, RuntimeError):
            busy, indexed = 1, set()
        crawling = any(crawl.poll() is None for crawl in scenario.crawls)
        if busy or crawling:
            quiet_since = None
        else:
            quiet_since = quiet_since or time.monotonic()
            # Idle with articles missing: they are not coming (a retry would be queued or held).
            if time.monotonic() - quiet_since >= (3 if expected <= indexed else IDLE_WITH_GAPS_SECONDS):
                return
        time.sleep(0.5)
    scenario.notes["settle_timed_out"] = True


def _stored(deployment: Deployment, scenario: Scenario) -> dict[str, dict[str, Any]]:
    from search.indexes import ARTICLES

    engine = deployment.engine()
    index = deployment.settings.index_name(ARTICLES)
    engine.request("POST", f"/{index}/_refresh")
    answer = engine.request("POST", f"/{index}/_search",
                            {"query": {"term": {"source": scenario.source}}, "size": 1000,
                             "_source": ["story_id", "url", "on_topic", "duplicate_of"]})
    return {hit["_id"]: hit["_source"] for hit in answer["hits"]["hits"]}


def _expected_ids(deployment: Deployment, scenario: Scenario) -> dict[str, FaultArticle]:
    from coverwatch.models import Article

    base = deployment.site.base_url
    return {Article.model_validate({"url": f"{base}{article.path}", "title": article.title, "body": "x",
                                    "source": scenario.source}).id: article for article in scenario.articles}


def _outcome(deployment: Deployment, scenario: Scenario, expected: dict[str, FaultArticle], letters: int,
             seconds: float) -> FaultOutcome:
    from alerts.delivery import delivery_id, message_id
    from workers.backlog import pipeline_backlog

    stored = _stored(deployment, scenario)
    stories = {article_id: str(document.get("story_id") or "") for article_id, document in stored.items()}
    misplaced, story_of_incident = _misplaced(expected, stories)
    alerting = {story_of_incident[article.incident] for article in expected.values()
                if article.alerting and article.incident in story_of_incident}
    wanted = {message_id(delivery_id(deployment.rule_id, SUBSCRIBER, story)) for story in alerting}
    messages = deployment.smtp.received()
    received = Counter(message_id for message_id, _ in messages if message_id in wanted)
    strays = {message_id for message_id, text in messages if scenario.source in text and message_id not in wanted}
    missing = sorted(wanted - set(received))
    if missing:
        scenario.notes["missing_deliveries"] = _delivery_records(deployment, missing)
    backlog = pipeline_backlog(deployment.redis(), deployment.settings)
    return FaultOutcome(
        fault=scenario.fault, articles=len(expected), indexed=len(set(stored) & set(expected)),
        lost=len(set(expected) - set(stored)), indexed_twice=_indexed_twice(stored),
        wrong_story=misplaced, emails_expected=len(wanted), emails_received=sum(received.values()),
        duplicate_messages=sum(times - 1 for times in received.values()),
        missing_messages=len(wanted - set(received)), unexpected_messages=len(strays),
        dead_letters=letters,
        still_queued=sum(backlog.queued.values()) + sum(f.messages for f in backlog.in_flight.values()),
        seconds=round(seconds, 1), notes=scenario.notes)


def _delivery_records(deployment: Deployment, message_ids: list[str]) -> dict[str, Any]:
    """What the deliveries index says of alerts that never arrived (why, for the report)."""
    from search.indexes import DELIVERIES

    engine = deployment.engine()
    found: dict[str, Any] = {}
    for message in message_ids:
        identifier = message.strip("<>").split("@", 1)[0]
        answer = engine.request("POST", f"/{deployment.settings.index_name(DELIVERIES)}/_search",
                                {"query": {"ids": {"values": [identifier]}}})
        hits = answer["hits"]["hits"]
        found[identifier] = {key: hits[0]["_source"].get(key) for key in ("status", "attempts", "group_key")} \
            if hits else None
    return found


def _indexed_twice(stored: dict[str, dict[str, Any]]) -> int:
    urls = Counter(str(document.get("url")) for document in stored.values())
    return sum(times - 1 for times in urls.values())


def _misplaced(expected: dict[str, FaultArticle], stories: dict[str, str]) -> tuple[int, dict[str, str]]:
    """Articles not in their incident's story (its most common one), counting an
    incident that shares its story with a bigger one as misplaced whole."""
    by_incident: dict[str, Counter[str]] = {}
    for article_id, article in expected.items():
        if article_id in stories:
            by_incident.setdefault(article.incident, Counter())[stories[article_id]] += 1
    story_of_incident = {incident: counts.most_common(1)[0][0] for incident, counts in by_incident.items()}
    misplaced = sum(sum(counts.values()) - counts[story_of_incident[incident]]
                    for incident, counts in by_incident.items())
    claimed: dict[str, str] = {}
    for incident, counts in sorted(by_incident.items(), key=lambda pair: -sum(pair[1].values())):
        story = story_of_incident[incident]
        if not story or story in claimed:
            misplaced += counts[story]
        else:
            claimed[story] = incident
    return misplaced, story_of_incident


def _wait_for_line(path: Path, offset: int, marker: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{path.name}: the process exited with {process.returncode}")
        with path.open("rb") as log:
            log.seek(offset)
            if marker.encode() in log.read():
                return
        time.sleep(0.2)
    raise RuntimeError(f"{path.name}: no {marker!r} within {timeout:.0f}s")


def outcomes_json(outcomes: list[FaultOutcome]) -> str:
    return json.dumps([{**outcome.__dict__, "survived": outcome.survived} for outcome in outcomes])
