"""The task runtime is a low layer (issue 21, part 3): the Celery app, task base,
batches, recovery and locks import no domain; a pure stage module builds no
app; the crawler's hand-off imports no task (and so no alerts or search code);
and a worker still registers every task under the names queues, routes, the
beat schedule and the deploy files use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.unit.test_import_circles import import_graph, product_modules

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("coverwatch", "crawlers", "workers", "search", "alerts", "web", "console")

PURE_STAGES = ("workers.dedupe", "workers.neardup", "workers.stages", "workers.enrichment", "workers.entities",
               "workers.claims", "workers.clustering", "workers.story_terms", "workers.vectors",
               "workers.story_evidence", "workers.relevance", "workers.relevance_cues", "workers.relevance_model",
               "workers.relevance_text", "workers.relevance_evidence", "workers.phrases", "workers.actor_context",
               "workers.lang")

EXPECTED_TASKS = {"workers.ingest", "workers.dedupe", "workers.enrich", "workers.cluster", "workers.alerts",
                  "workers.deliver", "workers.evaluate_rules", "workers.send_digests", "workers.refresh_stories",
                  "workers.merge_stories", "workers.dispatch_crawls", "workers.crawl"}


def _modules_after(code: str) -> list[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    return list(json.loads(done.stdout.splitlines()[-1]))


def _task_modules(loaded: list[str]) -> list[str]:
    return [module for module in loaded if module.split(".")[0] in PRODUCT and module.endswith(".tasks")]


def test_importing_the_pure_stages_builds_no_celery_app() -> None:
    loaded = _modules_after("\n".join(f"import {module}" for module in PURE_STAGES))
    assert set(PURE_STAGES) <= set(loaded)
    assert "workers.runtime.app" not in loaded
    assert not _task_modules(loaded)


def test_the_crawlers_hand_off_imports_no_task_and_no_alerts_search_or_web() -> None:
    # What the crawler imports, and what submit_batch imports when it is called,
    # down to the chain it sends.
    loaded = _modules_after(
        "import crawlers.pipelines, crawlers.service, workers.handoff, workers.runtime.batches\n"
        "import workers.runtime.resources\n"
        "from workers.pipeline import pipeline_for\n"
        "chain = pipeline_for('coverwatch:batch:x', keep_off_topic=True)\n"
        "assert [t['task'] for t in chain.tasks][0] == 'workers.ingest'")
    assert "workers.runtime.app" in loaded
    assert not [module for module in loaded if module.split(".")[0] in ("alerts", "search", "web")]
    assert not _task_modules(loaded)


def test_the_runtime_imports_no_domain() -> None:
    # Read with ast, imports inside functions included.
    graph = import_graph(product_modules())
    runtime = {module for module in graph if module.startswith("workers.runtime")}
    assert {"workers.runtime.app", "workers.runtime.base", "workers.runtime.batches", "workers.runtime.recovery",
            "workers.runtime.locks", "workers.runtime.lifecycle"} <= runtime
    below = {module: sorted(target for target in graph[module]
                            if not target.startswith(("coverwatch", "workers.runtime")))
             for module in runtime}
    assert not {module: targets for module, targets in below.items() if targets}


def test_story_merging_does_not_call_into_alerts() -> None:
    graph = import_graph(product_modules())
    assert not [target for target in graph["workers.stories"] if target.startswith("alerts")]


def test_a_worker_registers_every_task_under_its_name() -> None:
    """What ``celery -A workers inspect registered`` lists: the app imports each
    domain's task module at worker start (its ``include``)."""
    import workers

    app = workers.app
    app.loader.import_default_modules()
    registered = {name for name in app.tasks if not name.startswith("celery.")}
    assert registered == EXPECTED_TASKS
    # The merged stories carry their alerts' deliveries: the alerts registered their hook.
    from alerts.delivery import carry_deliveries
    from workers.stories import _merge_hooks

    assert carry_deliveries in _merge_hooks


def test_the_chain_names_the_pipelines_tasks_in_order() -> None:
    from workers import tasks
    from workers.pipeline import PIPELINE, pipeline_for, pipeline_from

    assert tuple(task.name for task in (tasks.ingest, tasks.dedupe, tasks.enrich, tasks.cluster,
                                                    tasks.match_alerts)) == PIPELINE
    whole = pipeline_for("coverwatch:batch:k", keep_off_topic=True)
    assert [step["task"] for step in whole.tasks] == list(PIPELINE)
    assert list(whole.tasks[0]["args"]) == ["coverwatch:batch:k"]
    assert whole.tasks[2]["kwargs"] == {"keep_off_topic": True}
    rest = pipeline_from("workers.cluster", "coverwatch:batch:k")
    assert [step["task"] for step in rest.tasks] == ["workers.cluster", "workers.alerts"]
    assert list(rest.tasks[0]["args"]) == ["coverwatch:batch:k"]
