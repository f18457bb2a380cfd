"""Story upkeep, beside the stories code (workers/stories.py): story documents
brought up to date, and stories whose coverage has converged merged."""

from __future__ import annotations

from coverwatch.settings import get_settings
from search.engine import EngineError, EngineUnavailable
from workers.resources import engine
from workers.runtime.app import app
from workers.runtime.base import RETRYABLE, StageTask
from workers.runtime.locks import cluster_lock
from workers.runtime.resources import count, redis_client
from workers.stories import flush_dirty_stories, merge_converged


class StoryTask(StageTask):
    """Story upkeep rides out the search engine's outages too."""

    autoretry_for = (*RETRYABLE, EngineUnavailable, EngineError)


@app.task(base=StoryTask, name="workers.refresh_stories")
def refresh_stories() -> int:
    """Bring every story document touched since the last refresh up to date."""
    return flush_dirty_stories(engine(), redis_client(), get_settings())


@app.task(base=StoryTask, name="workers.merge_stories")
def merge_stories() -> list[list[str]]:
    """Periodic self-healing: merge stories whose coverage has converged (what
    else a merge carries along, such as the alerts' deliveries, is handed the
    pair through ``workers.stories.on_story_merged``)."""
    settings = get_settings()
    with cluster_lock(redis_client(), settings):
        merges = merge_converged(engine(), settings)
    count("stories.merged", len(merges))
    return [list(pair) for pair in merges]
