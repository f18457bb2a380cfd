"""The ``coverwatch`` command line and the demo: one module per command group.

This package stands on every other one (it starts the services, the workers,
the crawlers and the web app), so nothing below imports it; ``coverwatch/``
is the core they all stand on. Each group module has a ``register`` that adds
its commands to the main parser (console/main.py)."""
