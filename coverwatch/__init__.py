"""Coverwatch shared core: settings, the Article and Story models, the taxonomy,
connections, network policy, logs and metrics. It imports no other product
package (tests/unit/test_core_boundary.py); the command line is console/."""
