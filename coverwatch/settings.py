"""One typed settings object, fed by ``COVERWATCH_*`` environment variables.

Every default points at something the project starts locally, so a fresh clone
runs with no configuration at all.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from coverwatch.networks import parse_networks

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COVERWATCH_", extra="ignore")

    search_url: str = "http://127.0.0.1:9200"
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Real clusters (search/engine_options.py, coverwatch/connections.py):
    # search_url may list several nodes, comma-separated; https nodes are trusted
    # through search_ca_file; basic auth or an API key. Redis takes password and
    # TLS from its URL (rediss://:secret@host:6380/0) or from these settings, and
    # Sentinel when redis_sentinels lists host:port pairs (redis_url's db and
    # scheme still apply: rediss:// means TLS to the master and the sentinels).
    search_ca_file: Path | None = None
    search_verify_certs: bool = True
    search_username: str | None = None
    search_password: SecretStr | None = None
    search_api_key: SecretStr | None = None
    search_max_retries: int = Field(default=3, ge=0)
    search_timeout: float = Field(default=60.0, gt=0)
    redis_password: SecretStr | None = None
    redis_ca_file: Path | None = None
    redis_sentinels: str = ""
    redis_sentinel_master: str = "coverwatch"
    redis_sentinel_password: SecretStr | None = None
    # "json": one JSON object per log line with the article and batch ids a stage
    # works on (coverwatch/logs.py); "text" is the readable default.
    log_format: Literal["text", "json"] = "text"
    index_prefix: str = Field(default="coverwatch", pattern=r"^[a-z0-9][a-z0-9_\-]*$")
    var_dir: Path = PROJECT_ROOT / "var"
    sources_file: Path = PROJECT_ROOT / "crawlers" / "sources.yml"

    opensearch_heap: str = "1g"
    opensearch_transport_port: int = 9300
    # A launcher that joins others (comma-separated host:transport-port seeds and
    # the node names that elect the first manager); empty means a cluster of one.
    opensearch_cluster_name: str = "coverwatch-dev"
    opensearch_node_name: str | None = None
    opensearch_seed_hosts: str = ""
    opensearch_initial_managers: str = ""
    index_replicas: int = Field(default=0, ge=0)
    # Snapshots go to a filesystem repository here (the node's path.repo);
    # articles older than the retention are deleted by `coverwatch retention`.
    snapshot_dir: Path | None = None
    article_retention_days: int | None = Field(default=None, gt=0)

    smtp_url: str | None = None
    outbox_dir: Path | None = None
    mail_from: str = "Coverwatch Alerts <alerts@coverwatch.local>"
    public_url: str = "http://127.0.0.1:8000"
    # What the threat-intel exchange (STIX, TAXII, MISP, feeds; workers/exchange/) marks its
    # stories with, and the organisation it names as their producer.
    exchange_tlp: Literal["clear", "green", "amber", "amber+strict", "red"] = "clear"
    exchange_producer: str = "Coverwatch"
    # The MISP instance `coverwatch misp push` and the ``misp`` alert channel push
    # story events to (workers/exchange/misp.py); unset, both are off. The key is
    # a MISP user's automation key; misp_verify_tls false only for a lab instance.
    misp_url: str | None = None
    misp_key: SecretStr | None = None
    misp_verify_tls: bool = True
    misp_timeout: float = Field(default=30.0, gt=0)

    # Alert rules as YAML (`coverwatch rules load`); periodic rule types are
    # evaluated by beat this often; webhooks are signed with this secret.
    rules_dir: Path = PROJECT_ROOT / "alerts" / "rules.d"
    rule_evaluation_seconds: float = Field(default=60.0, gt=0)
    webhook_secret: SecretStr | None = None
    webhook_timeout: float = Field(default=10.0, gt=0)
    # Subscriber links (confirm, unsubscribe, preferences) are HMAC-signed with
    # this; unset, a random key is made once and kept in var/secrets/ (alerts/tokens.py).
    subscriber_secret: SecretStr | None = None
    digest_check_seconds: float = Field(default=300.0, gt=0)  # how often beat sends due digests

    api_host: str = "127.0.0.1"
    api_port: int = 8000

    # Analyst access (web/accounts.py): how long a login lasts, and how many
    # failed logins an account or a client address may make per window.
    session_hours: float = Field(default=12.0, gt=0)
    session_secret: SecretStr | None = None  # unset: one is made per deployment and kept in Redis
    login_failures_per_account: int = Field(default=5, ge=1)
    login_failures_per_address: int = Field(default=20, ge=1)
    login_window_seconds: int = Field(default=900, ge=1)

    batch_size: int = 50
    download_timeout: float = 20.0
    crawl_time_limit: int = 900  # seconds one source's crawl may run before it is stopped
    dispatch_seconds: float = 30.0  # how often beat looks for sources that are due
    user_agent: str = "CoverwatchBot/0.1 (+https://coverwatch.example/bot; news monitoring)"
    # Ranges crawls and webhooks may reach although they are not public
    # (coverwatch/netpolicy.py): CIDRs, comma separated. Empty refuses them all.
    allowed_private_networks: str = ""

    @field_validator("allowed_private_networks")
    @classmethod
    def _valid_networks(cls, text: str) -> str:
        parse_networks(text)
        return text

    # Relevance bands (workers/relevance.py): at or above on_topic an article
    # alerts; from possible up it is indexed and searchable; below possible it is
    # dropped unless its source keeps off-topic articles. Unset, each model's own
    # operating point holds (workers/relevance_model.json, chosen by the rule in
    # workers/relevance_training.py; docs/relevance-model-card.md).
    relevance_on_topic: float | None = Field(default=None, ge=0.0, le=1.0)
    relevance_possible: float | None = Field(default=None, ge=0.0, le=1.0)
    # A model retrained here (``coverwatch relevance train --with-feedback --output F``)
    # instead of the one shipped in workers/relevance_model.json.
    relevance_model_file: Path | None = None

    @property
    def redis_port(self) -> int:
        return urlsplit(self.redis_url).port or 6379

    @property
    def search_port(self) -> int:
        return urlsplit(self.search_url).port or 9200

    @property
    def outbox(self) -> Path:
        return self.outbox_dir or self.var_dir / "outbox"

    @property
    def snapshots(self) -> Path:
        return self.snapshot_dir or self.var_dir / "opensearch" / "snapshots"

    def index_name(self, kind: str) -> str:
        """The alias (or plain index) name for ``kind`` in this deployment."""
        return f"{self.index_prefix}-{kind}"

    def queue_name(self, stage: str) -> str:
        # Queues carry the prefix too, so a test run's worker never takes a
        # demo deployment's messages on a shared Redis.
        return f"{self.index_prefix}.{stage}"

    def redis_key(self, *parts: str) -> str:
        return ":".join((self.index_prefix, *parts))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
