"""Analysts' marks reach training: a mark made through the API on the real
engine is exported and `coverwatch relevance train --with-feedback` trains on
the dev set's tune split plus that mark (scikit-learn, the real dev files)."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from console.main import main as cli_main
from coverwatch.models import Article, utc_now
from coverwatch.settings import Settings
from search.documents import bulk_index
from search.engine import SearchEngine
from search.indexes import ARTICLES
from workers.relevance_data import default_dev_dir, dev_articles, in_split

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not (default_dev_dir() / "cybernews.jsonl").exists(),
                       reason="the relevance development set is not beside the repository"),
]


def test_a_mark_is_trained_on(engine: SearchEngine, settings: Settings, api: httpx.Client, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    token = f"Tallowfinch{uuid.uuid4().hex[:8]}"
    article = Article(url=f"https://training-wire.example/{token}", source="training-wire",
                      title=f"{token} backdoor found in a ministry's mail servers",
                      body=f"Investigators said the {token} backdoor was planted by a state intelligence service. " * 3,
                      published_at=utc_now() - timedelta(hours=2), relevance=0.2, relevance_band="possible",
                      on_topic=False)
    bulk_index(engine, settings.index_name(ARTICLES), [article.to_document()], refresh=True)
    assert api.put(f"/api/v1/articles/{article.id}/relevance-mark", json={"label": "espionage"}).status_code == 200

    exported = tmp_path / "marks.jsonl"
    assert cli_main(["relevance", "labels", "export", "--output", str(exported)]) == 0
    mine = [line for line in exported.read_text(encoding="utf-8").splitlines() if json.loads(line)["id"] == article.id]
    assert len(mine) == 1
    marks = tmp_path / "mine.jsonl"
    marks.write_text(mine[0] + "\n", encoding="utf-8")
    capsys.readouterr()

    output = tmp_path / "model.json"
    assert cli_main(["relevance", "train", "--with-feedback", str(marks), "--shuffles", "1",
                     "--output", str(output)]) == 0
    printed = capsys.readouterr()
    report = json.loads(printed.out.strip().splitlines()[-1])
    assert "1 analysts' mark(s) added" in printed.err
    tune = in_split(dev_articles(), "tune")
    assert report["out_of_fold"]["training_items"] == len(tune) + 1
    assert report["out_of_fold"]["trained_on"].endswith("analysts' marks")
    written = json.loads(output.read_text(encoding="utf-8"))
    assert written["version"] == report["version"] and written["card"]["training_items"] == len(tune) + 1
