#!/usr/bin/env bash
# Install what Coverwatch needs on a fresh Debian machine, skipping what is there.
#   deploy/bootstrap.sh demo   - runtime only
#   deploy/bootstrap.sh test   - plus the headless browser for UI tests
set -euo pipefail
cd "$(dirname "$0")/.."
purpose=${1:-demo}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v java >/dev/null || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || missing+=(maven)
if [ "$purpose" = test ]; then
  command -v chromium >/dev/null || missing+=(chromium)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]} from Debian"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv"
  "$python" -m venv .venv
fi
stamp=.venv/.coverwatch-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "bootstrap: installing Python packages into .venv"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e ".[dev]"
  touch "$stamp"
fi

if [ ! -f deploy/opensearch/target/coverwatch-opensearch-launcher-1.0.0.jar ] || \
   [ deploy/opensearch/pom.xml -nt deploy/opensearch/target/coverwatch-opensearch-launcher-1.0.0.jar ]; then
  echo "bootstrap: resolving OpenSearch from Maven Central and building the launcher"
  mvn -q -B -f deploy/opensearch/pom.xml package
fi
