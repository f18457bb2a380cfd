"""Who may take over a crawl lock at once: only a lock a `coverwatch crawl`
on this host took, whose process has exited."""

from __future__ import annotations

import os
import subprocess
import sys

from crawlers.run import holder_is_gone, lock_holder


def test_a_live_crawl_keeps_its_lock() -> None:
    assert not holder_is_gone(lock_holder())


def test_an_exited_crawl_on_this_host_gives_its_lock_up() -> None:
    exited = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                            capture_output=True, text=True, check=True)
    holder = lock_holder().rsplit(":", 1)[0] + ":" + exited.stdout.strip()
    assert holder != lock_holder()
    assert holder_is_gone(holder)


def test_holders_elsewhere_or_of_another_kind_wait_for_the_expiry() -> None:
    pid = os.getpid()
    assert not holder_is_gone(f"cli:some-other-host:{pid + 1_000_000}", host="this-host")
    assert not holder_is_gone("crawler-7f3a@host", host="host")  # the long-lived crawler's own scheme
    assert not holder_is_gone("cli:host:not-a-pid", host="host")
