"""The decision of a recovery round, on plain values: which unacknowledged
messages go back to their queues, and which owner records are stale."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

# A tag in this deployment's queues that nobody claimed (the worker died between
# kombu's bookkeeping and ours, a millisecond window) is returned after this long.
UNCLAIMED_GRACE_SECONDS = 120.0


@dataclass(frozen=True)
class Delivery:
    """One message kombu holds as delivered but not yet acknowledged."""

    tag: str
    queue: str
    delivered_at: float


@dataclass(frozen=True)
class Owner:
    worker: str
    stage: str


@dataclass(frozen=True)
class RecoveryPlan:
    to_return: list[str]
    to_forget: list[str]


def plan_recovery(owners: Mapping[str, Owner], alive: Collection[str], deliveries: Iterable[Delivery],
                  own_queues: Collection[str], now: float,
                  grace: float = UNCLAIMED_GRACE_SECONDS) -> RecoveryPlan:
    """Which unacked tags to return to their queues, and which owner records are
    stale (their message was acknowledged). A tag returns when its owner is not
    alive, or when it sits in one of this deployment's queues unclaimed for
    longer than ``grace``; tags of other deployments are never touched."""
    delivered = {delivery.tag: delivery for delivery in deliveries}
    to_return = [tag for tag, owner in owners.items() if tag in delivered and owner.worker not in alive]
    unclaimed = [tag for tag, delivery in delivered.items()
                 if tag not in owners and delivery.queue in own_queues and now - delivery.delivered_at > grace]
    to_forget = [tag for tag in owners if tag not in delivered]
    return RecoveryPlan(sorted([*to_return, *unclaimed]), sorted(to_forget))
