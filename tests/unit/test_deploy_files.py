"""The production files stay valid: the compose file against the compose-spec
schema vendored in check-jsonschema, the Kubernetes manifests against the
schemas kubernetes-validate ships (both offline), and every stage queue has a
worker consuming it in both."""

from __future__ import annotations

import json
import shlex
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import ValidationError as KubernetesValidationError

from coverwatch.settings import PROJECT_ROOT
from workers.runtime.queues import STAGES

COMPOSE_FILE = PROJECT_ROOT / "deploy" / "compose" / "docker-compose.yml"
KUBERNETES_DIR = PROJECT_ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.30.0"


def _compose_validator() -> jsonschema.protocols.Validator:
    schema_file = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    return validator_class(schema)


def _compose_errors(document: Any) -> list[str]:
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
            for error in _compose_validator().iter_errors(document)]


def _manifests() -> list[tuple[Path, dict[str, Any]]]:
    documents = []
    for path in sorted(KUBERNETES_DIR.glob("*.yaml")):
        documents += [(path, document) for document in yaml.safe_load_all(path.read_text(encoding="utf-8"))
                      if document]
    return documents


def _kubernetes_errors(document: dict[str, Any]) -> str | None:
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except KubernetesValidationError as failure:
        return f"{document.get('kind')}/{document.get('metadata', {}).get('name')}: {failure.message}"
    return None


def _stages_of(command: list[str]) -> set[str]:
    """The stages a ``coverwatch worker`` command consumes (all of them without --stages)."""
    if command[:2] != ["coverwatch", "worker"]:
        return set()
    return set(command[command.index("--stages") + 1].split(",")) if "--stages" in command else set(STAGES)


def test_compose_file_matches_the_compose_spec() -> None:
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert _compose_errors(document) == []
    services = document["services"]
    assert {"elasticsearch", "redis", "web", "beat", "crawler"} <= set(services)
    assert services["elasticsearch"]["environment"]["xpack.security.enabled"] == "true"
    consumed = set().union(*(_stages_of(service.get("command", [])) for service in services.values()))
    assert consumed == set(STAGES), f"no compose worker for {set(STAGES) - consumed}"


def test_kubernetes_manifests_validate_strictly() -> None:
    manifests = _manifests()
    assert {document["kind"] for _, document in manifests} >= {"ConfigMap", "Deployment", "Service", "Job"}
    errors = [error for _, document in manifests if (error := _kubernetes_errors(document))]
    assert errors == []
    consumed: set[str] = set()
    for _, document in manifests:
        if document["kind"] == "Deployment":
            for container in document["spec"]["template"]["spec"]["containers"]:
                consumed |= _stages_of(container["command"])
    assert consumed == set(STAGES), f"no Kubernetes worker for {set(STAGES) - consumed}"


def test_the_validators_reject_broken_files() -> None:
    """The checks above can fail: a misspelt key and a wrong type are caught."""
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    document["services"]["web"]["restart_policy"] = "always"  # not a compose key
    document["services"]["redis"]["ports"] = {"6379": 6379}  # ports is a list
    errors = _compose_errors(document)
    assert any("restart_policy" in error for error in errors) and any("ports" in error for error in errors)
    deployment = next(document for _, document in _manifests() if document["kind"] == "Deployment")
    broken = json.loads(json.dumps(deployment))
    broken["spec"]["replicas"] = "two"
    assert _kubernetes_errors(broken)
    unknown = json.loads(json.dumps(deployment))
    unknown["spec"]["template"]["spec"]["containers"][0]["commands"] = ["coverwatch"]
    assert _kubernetes_errors(unknown)


@pytest.mark.parametrize("stages", ["ingest,dedupe", "cluster"])
def test_stages_of_a_worker_command(stages: str) -> None:
    assert _stages_of(shlex.split(f"coverwatch worker -c 2 --stages {stages}")) == set(stages.split(","))
    assert _stages_of(["coverwatch", "worker"]) == set(STAGES)
    assert _stages_of(["coverwatch", "serve"]) == set()
