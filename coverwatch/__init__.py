"""Coverwatch shared core: settings, the Article and Story models, and the CLI."""
