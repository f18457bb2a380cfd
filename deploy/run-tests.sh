#!/usr/bin/env bash
# The whole test suite on real services: lint, types, then pytest.
# Starts OpenSearch and Redis if they are not running, and stops what it started.
set -uo pipefail
cd "$(dirname "$0")/.."
deploy/bootstrap.sh test || exit 1

started=0
if ! .venv/bin/coverwatch services status >/dev/null 2>&1; then
  started=1
fi
cleanup() {
  if [ "$started" = 1 ]; then .venv/bin/coverwatch services down; fi
}
trap cleanup EXIT
.venv/bin/coverwatch services up || exit 1

# Production files, offline: compose-spec schema vendored in check-jsonschema,
# Kubernetes schemas shipped by kubernetes-validate (tests/unit/test_deploy_files.py
# checks the same and that every stage queue has a worker).
.venv/bin/check-jsonschema --builtin-schema vendor.compose-spec deploy/compose/docker-compose.yml || exit 1
.venv/bin/kubernetes-validate --strict -k 1.30.0 --quiet deploy/kubernetes/*.yaml || exit 1
.venv/bin/ruff check . || exit 1
.venv/bin/mypy || exit 1
.venv/bin/python -m pytest -p no:cacheprovider "$@"
status=$?
if [ "$status" = 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
exit "$status"
