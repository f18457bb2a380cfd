"""Which unacked messages go back to their queues after a worker dies (pure part)."""

from __future__ import annotations

from workers.backlog import InFlight, in_flight_by_stage
from workers.runtime.recovery_plan import Delivery, Owner, plan_recovery

QUEUES = {"run.ingest", "run.cluster"}
NOW = 10_000.0


def test_only_tags_of_dead_workers_return() -> None:
    owners = {"a": Owner("dead", "cluster"), "b": Owner("alive", "ingest"), "c": Owner("dead", "ingest")}
    deliveries = [Delivery("a", "", NOW - 5), Delivery("b", "", NOW - 5), Delivery("c", "", NOW - 1)]
    plan = plan_recovery(owners, {"alive"}, deliveries, QUEUES, NOW)
    assert plan.to_return == ["a", "c"]
    assert plan.to_forget == []


def test_acknowledged_tags_are_forgotten_not_returned() -> None:
    owners = {"acked": Owner("dead", "enrich"), "held": Owner("dead", "enrich")}
    plan = plan_recovery(owners, set(), [Delivery("held", "", NOW - 3)], QUEUES, NOW)
    assert plan.to_return == ["held"]
    assert plan.to_forget == ["acked"]


def test_unclaimed_tags_of_this_deployment_return_only_after_the_grace() -> None:
    deliveries = [Delivery("old", "run.ingest", NOW - 200), Delivery("fresh", "run.ingest", NOW - 10),
                  Delivery("foreign", "other.ingest", NOW - 5000)]
    plan = plan_recovery({}, set(), deliveries, QUEUES, NOW, grace=120)
    assert plan.to_return == ["old"]


def test_a_claimed_tag_of_a_live_worker_stays_however_old() -> None:
    owners = {"slow": Owner("alive", "cluster")}
    plan = plan_recovery(owners, {"alive"}, [Delivery("slow", "run.cluster", NOW - 3000)], QUEUES, NOW, grace=120)
    assert plan.to_return == []


def test_in_flight_groups_by_stage_with_the_oldest_age() -> None:
    flights = in_flight_by_stage([("cluster", NOW - 30), ("cluster", NOW - 4), ("ingest", NOW - 2)], NOW)
    assert flights == {"cluster": InFlight(2, 30.0), "ingest": InFlight(1, 2.0)}


def test_a_process_lock_token_names_its_worker_or_the_pool_parent() -> None:
    from workers.runtime.locks import held_by_one_of

    dead = ["node-a:4242:1f2e3d"]
    assert held_by_one_of("node-a:4242:1|c0ffee", dead)  # taken in the worker's main process
    assert held_by_one_of("node-a:5151:4242|c0ffee", dead)  # taken in one of its pool's children
    assert not held_by_one_of("node-b:5151:4242|c0ffee", dead)  # the same pids on another host
    assert not held_by_one_of("node-a:5151:777|c0ffee", dead)
    assert not held_by_one_of("2f9c6a0e5b7d4c1e", dead)  # a plain redis-py token says nothing
