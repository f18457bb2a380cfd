"""How to reach a real engine cluster: nodes, TLS trust, credentials and retries,
read from the settings and turned into each official client's arguments."""

from __future__ import annotations

import base64
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coverwatch.settings import Settings

# A node that answers with one of these is overloaded or restarting: the next node may not be.
RETRY_ON_STATUS = (502, 503, 504)


def split_hosts(urls: str) -> tuple[str, ...]:
    """``https://a:9200, https://b:9200`` as a tuple of node URLs, in the order given."""
    hosts = tuple(part.strip().rstrip("/") for part in urls.split(",") if part.strip())
    if not hosts:
        raise ValueError("no search engine URL given")
    return hosts


@dataclass(frozen=True)
class EngineOptions:
    hosts: tuple[str, ...] = ("http://127.0.0.1:9200",)
    ca_file: Path | None = None
    verify_certs: bool = True
    basic_auth: tuple[str, str] | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    max_retries: int = 3
    timeout: float = 60.0

    def __post_init__(self) -> None:
        if self.basic_auth and self.api_key:
            raise ValueError("give the search engine either a username and password or an API key, not both")

    @classmethod
    def from_settings(cls, settings: Settings, url: str | None = None) -> EngineOptions:
        """The settings' connection options; ``url`` (one node or several) replaces their hosts."""
        password = settings.search_password.get_secret_value() if settings.search_password else ""
        if settings.search_username is None and password:
            raise ValueError("COVERWATCH_SEARCH_PASSWORD is set without COVERWATCH_SEARCH_USERNAME")
        auth = (settings.search_username, password) if settings.search_username is not None else None
        key = settings.search_api_key.get_secret_value() if settings.search_api_key else None
        return cls(hosts=split_hosts(url or settings.search_url), ca_file=settings.search_ca_file,
                   verify_certs=settings.search_verify_certs, basic_auth=auth, api_key=key,
                   max_retries=settings.search_max_retries, timeout=settings.search_timeout)

    def headers(self) -> dict[str, str]:
        """Authorization for plain HTTP requests (the distribution probe)."""
        if self.api_key:
            return {"Authorization": f"ApiKey {self.api_key}"}
        if self.basic_auth:
            token = base64.b64encode(":".join(self.basic_auth).encode()).decode()
            return {"Authorization": f"Basic {token}"}
        return {}

    def ssl_verify(self) -> ssl.SSLContext | bool:
        """What httpx needs to trust the nodes' certificates."""
        if not self.verify_certs:
            return False
        if self.ca_file:
            return ssl.create_default_context(cafile=str(self.ca_file))
        return True

    def opensearch_arguments(self) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "hosts": list(self.hosts), "timeout": self.timeout, "max_retries": self.max_retries,
            "retry_on_timeout": True, "retry_on_status": RETRY_ON_STATUS, "verify_certs": self.verify_certs}
        if self.ca_file:
            arguments["ca_certs"] = str(self.ca_file)
        if self.basic_auth:
            arguments["http_auth"] = self.basic_auth
        if self.api_key:  # OpenSearch has no api_key argument; the header is what a key-aware proxy reads
            arguments["headers"] = self.headers()
        return arguments

    def elasticsearch_arguments(self) -> dict[str, Any]:
        arguments: dict[str, Any] = {
            "hosts": list(self.hosts), "request_timeout": self.timeout, "max_retries": self.max_retries,
            "retry_on_timeout": True, "retry_on_status": RETRY_ON_STATUS}
        if any(host.startswith("https://") for host in self.hosts):
            arguments["verify_certs"] = self.verify_certs
            if self.ca_file:
                arguments["ca_certs"] = str(self.ca_file)
        if self.basic_auth:
            arguments["basic_auth"] = self.basic_auth
        if self.api_key:
            arguments["api_key"] = self.api_key
        return arguments
