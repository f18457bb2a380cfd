"""One small client interface over OpenSearch and Elasticsearch.

The distribution is read from ``GET /`` and the matching official client is used
as the transport. Everything above this module speaks the query DSL that both
engines share, through :meth:`SearchEngine.request` and :meth:`SearchEngine.bulk`.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

import httpx

from coverwatch.settings import get_settings
from search.engine_options import EngineOptions, split_hosts


class EngineError(RuntimeError):
    """The engine answered with an error status."""

    def __init__(self, status: int, detail: Any) -> None:
        super().__init__(f"search engine error {status}: {str(detail)[:500]}")
        self.status = status
        self.detail = detail


class NotFound(EngineError):
    """404 from the engine."""


class Conflict(EngineError):
    """409 from the engine: a ``create`` hit an existing document."""


class EngineUnavailable(RuntimeError):
    """Nothing answered at the configured URL."""


def _raise_for(status: int, detail: Any) -> None:
    if status == 404:
        raise NotFound(status, detail)
    if status == 409:
        raise Conflict(status, detail)
    raise EngineError(status, detail)


class SearchEngine(ABC):
    distribution: str
    version: str

    def __init__(self, url: str, version: str) -> None:
        self.url = url
        self.version = version

    @abstractmethod
    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Send one JSON request; raise :class:`EngineError` on an error status."""

    @abstractmethod
    def _send_ndjson(self, path: str, payload: str, params: Mapping[str, str]) -> dict[str, Any]:
        ...

    def bulk(self, actions: Iterable[Mapping[str, Any]], refresh: bool = False) -> dict[str, Any]:
        """Send bulk actions (action line and source line alternating). ``refresh``
        makes the written documents searchable before this returns: an immediate
        refresh of the shards written, not ``wait_for``, which sleeps until the next
        scheduled refresh (up to a second, far longer than the write)."""
        payload = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in actions)
        if not payload:
            return {"errors": False, "items": []}
        params = {"refresh": "true"} if refresh else {}
        return self._send_ndjson("/_bulk", payload, params)

    def msearch(self, searches: Iterable[tuple[str, Mapping[str, Any]]]) -> list[dict[str, Any]]:
        """Run several searches in one round trip; one response per (index, body)."""
        lines: list[str] = []
        for index, body in searches:
            lines.append(json.dumps({"index": index}))
            lines.append(json.dumps(body))
        if not lines:
            return []
        answer = self._send_ndjson("/_msearch", "\n".join(lines) + "\n", {})
        responses: list[dict[str, Any]] = answer["responses"]
        return responses

    def close(self) -> None:  # noqa: B027 - optional hook; most transports need nothing
        """Release pooled connections."""


class OpenSearchEngine(SearchEngine):
    distribution = "opensearch"

    def __init__(self, url: str, version: str, options: EngineOptions | None = None) -> None:
        from opensearchpy import OpenSearch

        super().__init__(url, version)
        options = options or EngineOptions(hosts=split_hosts(url))
        # Several hosts: the client spreads requests over them and retries a failed
        # request on the next node, so losing one node costs a retry, not an error.
        self._client = OpenSearch(**options.opensearch_arguments())

    def _perform(self, method: str, path: str, body: Any, params: Mapping[str, str],
                 headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        from opensearchpy.exceptions import ConnectionError as OSConnectionError
        from opensearchpy.exceptions import TransportError

        try:
            answer = self._client.transport.perform_request(
                method, path, params=dict(params), body=body, headers=headers
            )
        except OSConnectionError as failure:
            raise EngineUnavailable(str(failure)) from failure
        except TransportError as failure:
            status = failure.status_code if isinstance(failure.status_code, int) else 500
            _raise_for(status, failure.info)
        return answer if isinstance(answer, dict) else {"result": answer}

    def request(self, method: str, path: str, body: Mapping[str, Any] | None = None,
                params: Mapping[str, str] | None = None) -> dict[str, Any]:
        return self._perform(method, path, body, params or {})

    def _send_ndjson(self, path: str, payload: str, params: Mapping[str, str]) -> dict[str, Any]:
        return self._perform("POST", path, payload, params,
                             headers={"content-type": "application/x-ndjson"})

    def close(self) -> None:
        self._client.close()


class ElasticsearchEngine(SearchEngine):
    distribution = "elasticsearch"
    _JSON: ClassVar[dict[str, str]] = {"accept": "application/json", "content-type": "application/json"}

    def __init__(self, url: str, version: str, options: EngineOptions | None = None) -> None:
        from elasticsearch import Elasticsearch

        super().__init__(url, version)
        options = options or EngineOptions(hosts=split_hosts(url))
        self._client = Elasticsearch(**options.elasticsearch_arguments())

    def _perform(self, method: str, path: str, body: Any, params: Mapping[str, str],
                 headers: Mapping[str, str]) -> dict[str, Any]:
        from elasticsearch import ApiError
        from elasticsearch import ConnectionError as ESConnectionError

        try:
            answer = self._client.perform_request(
                method, path, params=dict(params), headers=headers, body=body
            )
        except ESConnectionError as failure:
            raise EngineUnavailable(str(failure)) from failure
        except ApiError as failure:
            _raise_for(failure.meta.status, failure.body)
        body_out = answer.body
        return body_out if isinstance(body_out, dict) else {"result": body_out}

    def request(self, method: str, path: str, body: Mapping[str, Any] | None = None,
                params: Mapping[str, str] | None = None) -> dict[str, Any]:
        return self._perform(method, path, body, params or {}, self._JSON)

    def _send_ndjson(self, path: str, payload: str, params: Mapping[str, str]) -> dict[str, Any]:
        headers = {"accept": "application/json", "content-type": "application/x-ndjson"}
        return self._perform("POST", path, payload, params, headers)


def detect_distribution(url: str, timeout: float = 5.0, options: EngineOptions | None = None) -> tuple[str, str]:
    """Return (distribution, version number) as the engine reports them at ``GET /``,
    from the first of the nodes that answers (``url`` may list several)."""
    options = options or EngineOptions.from_settings(get_settings(), url)
    failures = []
    for host in options.hosts:
        try:
            answer = httpx.get(host, timeout=timeout, headers=options.headers(), verify=options.ssl_verify())
            answer.raise_for_status()
        except httpx.HTTPError as failure:
            failures.append(f"{host}: {failure}")
            continue
        version = answer.json().get("version", {})
        return str(version.get("distribution", "elasticsearch")), str(version.get("number", "?"))
    raise EngineUnavailable("no search engine answered: " + "; ".join(failures))


def connect(url: str | None = None, options: EngineOptions | None = None) -> SearchEngine:
    """The engine at ``url`` (one node or several, comma-separated; default the
    settings' search_url) with the settings' TLS, credentials and retries."""
    options = options or EngineOptions.from_settings(get_settings(), url)
    distribution, version = detect_distribution(url or options.hosts[0], options=options)
    engine_class = OpenSearchEngine if distribution == "opensearch" else ElasticsearchEngine
    return engine_class(",".join(options.hosts), version, options)
