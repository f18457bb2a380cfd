"""The delivery-channel registry: ``kind`` -> channel class, chosen by the
subscriber target. A new channel is one module in this package with one class
that subclasses :class:`Channel`, says which targets it takes
(:meth:`Channel.recipient_of`) and is decorated with :func:`register_channel`;
every public module here is imported (and so registered) when the package is,
as alerts/rule_types/ does for rule types. Modules starting with ``_`` hold what
several channels share.

The most specific channel (lowest ``precedence``) that takes a target wins: a
Slack hook is an https URL too, but not a generic webhook. Every channel renders
from the same AlertContext. Target parsing (:func:`normalise_target`, which the
rule model validates subscribers with) asks the same registry, so a target is
valid exactly when some channel can deliver to it.
"""

from __future__ import annotations

import importlib
import pkgutil
from abc import ABC, abstractmethod
from typing import Any, ClassVar, Generic, TypeVar

from alerts.messages import AlertContext
from alerts.targets import InvalidTarget
from alerts.transports import TransportError
from coverwatch.models import Article
from coverwatch.settings import Settings

Payload = TypeVar("Payload")


class ChannelNotConfigured(RuntimeError):
    """A channel the settings do not allow yet (a webhook without a secret)."""


class WebhookRefused(TransportError):
    """The webhook URL leads into an internal network (coverwatch/netpolicy.py);
    nothing was sent. A TransportError so the delivery claim is released and a
    dead letter replayed after the operator allows the range still sends."""


class Channel(ABC, Generic[Payload]):
    kind: ClassVar[str]
    # Asked first when lower (see the module docstring).
    precedence: ClassVar[int] = 10

    @classmethod
    @abstractmethod
    def recipient_of(cls, target: str) -> str | None:
        """The recipient a target names for this channel, or None when it is not one of ours."""

    @classmethod
    def stored_target(cls, target: str) -> str | None:
        """The spelling a rule stores for a target of ours (None when not ours):
        the recipient unless the channel needs more of the target to know it again."""
        return cls.recipient_of(target)

    @classmethod
    @abstractmethod
    def from_settings(cls, settings: Settings) -> Channel[Payload]:
        ...

    def occasion_key(self, group_key: str, article: Article) -> str:
        """What exactly-once delivery counts this channel's messages by: the
        firing's key (a story, an article, a window). A channel that hands over
        each version of a story (MISP) adds the version the firing saw."""
        return group_key

    @abstractmethod
    def render(self, context: AlertContext, recipient: str) -> Payload:
        ...

    @abstractmethod
    def send(self, payload: Payload, recipient: str, delivery_id: str) -> None:
        """Hand the message over; TransportError when it may be tried again."""

    def deliver(self, context: AlertContext, recipient: str, delivery_id: str) -> None:
        self.send(self.render(context, recipient), recipient, delivery_id)


CHANNELS: dict[str, type[Channel[Any]]] = {}
ChannelClass = TypeVar("ChannelClass", bound=type[Channel[Any]])


def register_channel(channel: ChannelClass) -> ChannelClass:
    if channel.kind in CHANNELS:
        raise TypeError(f"{channel.__name__}: channel kind {channel.kind!r} is taken by {CHANNELS[channel.kind]}")
    CHANNELS[channel.kind] = channel
    return channel


def _by_precedence() -> list[type[Channel[Any]]]:
    # The kind breaks ties so the order never depends on which module loaded first.
    return sorted(CHANNELS.values(), key=lambda channel: (channel.precedence, channel.kind))


def channel_kind(target: str) -> str:
    for channel in _by_precedence():
        if channel.recipient_of(target) is not None:
            return channel.kind
    raise InvalidTarget(f"no channel takes {target!r}")


def open_channel(target: str, settings: Settings) -> tuple[Channel[Any], str]:
    """The channel for a target and the recipient it names (``mailto:`` stripped)."""
    channel = CHANNELS[channel_kind(target)]
    return channel.from_settings(settings), channel.recipient_of(target) or target


def normalise_target(target: str) -> str:
    """The canonical spelling stored with a rule: ``mailto:a@b`` becomes ``a@b``,
    so delivery ids (keyed on the target) stay those of plain addresses."""
    for channel in _by_precedence():
        stored = channel.stored_target(target)
        if stored is not None:
            return stored
    raise InvalidTarget(f"{target!r} is neither an email address nor an https:// webhook URL")


def _import_channel_modules() -> None:
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")


_import_channel_modules()
