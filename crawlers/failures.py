"""Name why a fetch failed, in words an operator reads on a health page."""

from __future__ import annotations

import scrapy.exceptions as scrapy_errors
from twisted.internet import error as twisted_errors

# Checked in order; both Scrapy's own download errors and Twisted's are covered
# because which one surfaces depends on the Scrapy version and download handler.
_KINDS: tuple[tuple[str, tuple[type[BaseException], ...]], ...] = (
    ("unreachable", (scrapy_errors.DownloadConnectionRefusedError,
                     scrapy_errors.CannotResolveHostError,
                     twisted_errors.ConnectionRefusedError, twisted_errors.DNSLookupError,
                     twisted_errors.NoRouteError)),
    ("timeout", (scrapy_errors.DownloadTimeoutError, twisted_errors.TimeoutError,
                 twisted_errors.TCPTimedOutError)),
    ("connection_lost", (scrapy_errors.ResponseDataLossError, scrapy_errors.DownloadFailedError,
                         twisted_errors.ConnectionLost, twisted_errors.ConnectionDone)),
    ("cancelled", (scrapy_errors.DownloadCancelledError,)),
    ("unsupported_url", (scrapy_errors.UnsupportedURLSchemeError,)),
)


def failure_kind(error: BaseException) -> str:
    response = getattr(error, "response", None)
    status = getattr(response, "status", None)
    if isinstance(status, int):
        return f"http_{status}"
    message = str(error).lower()
    if "redirect" in message:
        return "redirect_loop"
    if "maxsize" in message or "max size" in message or "larger than" in message:
        return "too_large"
    if "robots.txt" in message:
        return "robots_disallowed"
    for kind, classes in _KINDS:
        if isinstance(error, classes):
            return kind
    return type(error).__name__
