"""Redis for real deployments: password, TLS (``rediss://``) and Sentinel, for the
app's own clients and for Celery's broker and result backend alike.

Locally ``redis_url`` alone is used, as before. With ``redis_sentinels`` set, the
sentinels are asked for the master named ``redis_sentinel_master``; the URL still
gives the database number and, by its scheme, whether TLS is used.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import redis
from redis.sentinel import Sentinel

from coverwatch.settings import Settings

DEFAULT_SENTINEL_PORT = 26379


def parse_sentinels(text: str) -> list[tuple[str, int]]:
    """``host:port,host:port`` (port optional, default 26379) as (host, port) pairs."""
    pairs = []
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        host, _, port = part.rpartition(":") if ":" in part else (part, "", "")
        if not host or (port and not port.isdigit()):
            raise ValueError(f"bad sentinel address {part!r}: expected host:port")
        pairs.append((host, int(port) if port else DEFAULT_SENTINEL_PORT))
    return pairs


def _database(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0


def _uses_tls(url: str) -> bool:
    return urlsplit(url).scheme == "rediss"


def _password(settings: Settings) -> str | None:
    """The URL's password wins, as redis-py and kombu treat it."""
    in_url = urlsplit(settings.redis_url).password
    if in_url:
        return in_url
    return settings.redis_password.get_secret_value() if settings.redis_password else None


def _tls_arguments(settings: Settings) -> dict[str, Any]:
    if not _uses_tls(settings.redis_url):
        return {}
    arguments: dict[str, Any] = {"ssl_cert_reqs": "required"}
    if settings.redis_ca_file:
        arguments["ssl_ca_certs"] = str(settings.redis_ca_file)
    return arguments


def redis_client_for(settings: Settings, **options: Any) -> redis.Redis:
    """One Redis client for this deployment: through Sentinel when configured."""
    sentinels = parse_sentinels(settings.redis_sentinels)
    tls = _tls_arguments(settings)
    if not sentinels:
        # Only a password the URL lacks is passed: redis-py lets the URL's win anyway.
        password = _password(settings)
        extra = {"password": password} if password and not urlsplit(settings.redis_url).password else {}
        return redis.Redis.from_url(settings.redis_url, **extra, **tls, **options)
    sentinel_password = (settings.redis_sentinel_password.get_secret_value()
                         if settings.redis_sentinel_password else None)
    sentinel_arguments: dict[str, Any] = {"password": sentinel_password} if sentinel_password else {}
    if tls:
        sentinel_arguments.update({"ssl": True, **tls})
    sentinel = Sentinel(sentinels, sentinel_kwargs=sentinel_arguments,  # type: ignore[no-untyped-call]
                        **({"ssl": True, **tls} if tls else {}), **options)
    master: redis.Redis = sentinel.master_for(  # type: ignore[no-untyped-call]
        settings.redis_sentinel_master, db=_database(settings.redis_url), password=_password(settings))
    return master


@dataclass(frozen=True)
class CeleryConnection:
    """What Celery's app needs: broker and backend URLs and their options."""

    broker_url: str = field(repr=False)
    backend_url: str = field(repr=False)
    broker_transport_options: dict[str, Any] = field(default_factory=dict)
    conf: dict[str, Any] = field(default_factory=dict)  # result backend and TLS settings


def _with_password(url: str, password: str | None) -> str:
    parts = urlsplit(url)
    if not password or parts.password:
        return url
    netloc = f"{quote(parts.username or '', safe='')}:{quote(password, safe='')}@{parts.hostname}"
    netloc += f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def celery_connection(settings: Settings) -> CeleryConnection:
    password = _password(settings)
    conf: dict[str, Any] = {}
    if _uses_tls(settings.redis_url):
        tls: dict[str, Any] = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
        if settings.redis_ca_file:
            tls["ssl_ca_certs"] = str(settings.redis_ca_file)
        conf.update(broker_use_ssl=tls, redis_backend_use_ssl=tls)
    sentinels = parse_sentinels(settings.redis_sentinels)
    if not sentinels:
        url = _with_password(settings.redis_url, password)
        return CeleryConnection(url, url, {}, conf)
    # Kombu's sentinel transport: one sentinel:// URL per sentinel, ';'-separated;
    # the password in them is the master's, the sentinels' own goes in sentinel_kwargs.
    database = _database(settings.redis_url)
    secret = f":{quote(password, safe='')}@" if password else ""
    url = ";".join(f"sentinel://{secret}{host}:{port}/{database}" for host, port in sentinels)
    options: dict[str, Any] = {"master_name": settings.redis_sentinel_master}
    if settings.redis_sentinel_password:
        options["sentinel_kwargs"] = {"password": settings.redis_sentinel_password.get_secret_value()}
    conf["result_backend_transport_options"] = dict(options)
    return CeleryConnection(url, url, options, conf)


# Delete a lock only while it still holds the given token, in one step: a holder
# that let go meanwhile, and whoever took the lock after it, keep theirs.
_DELETE_IF_HELD_BY = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def break_lock_held_by(client: redis.Redis, name: str, holder: str) -> bool:
    """Free the lock ``name`` if ``holder`` (a dead process's token) still holds
    it; True when it was freed. Crawlers and workers both break the locks of the dead."""
    return bool(client.eval(_DELETE_IF_HELD_BY, 1, name, holder))
