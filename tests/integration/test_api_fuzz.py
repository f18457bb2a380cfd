"""The served API fuzzed from its own OpenAPI document (schemathesis) on the
real engine: valid and invalid requests to every operation, signed in and
not, and no answer may be a 5xx. Counts go to var/figures/security-api_fuzz.json."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from coverwatch.models import Article
from coverwatch.settings import Settings
from search.documents import bulk_index
from search.engine import SearchEngine
from search.indexes import ARTICLES
from tests.fixtures.hostile import SCRIPT_PAYLOADS
from tests.fixtures.hostile_figures import record_figures

pytestmark = pytest.mark.integration

EXAMPLES_PER_OPERATION = 6
# Accounts the run's other tests sign in with: disabling them would be a real
# effect of a valid request, not a server error, and would break those tests.
PROTECTED_NAMES = ("fixture-",)


def _seed(engine: SearchEngine, settings: Settings) -> None:
    """A few articles, some hostile, so searches and story lookups reach real hits."""
    articles = [Article(url=f"https://fuzz.example/{number}", title=f"Fuzz {payload}",
                        body=f"Turla and Volt Typhoon espionage {payload} " * 8, source="fuzz-outlet",
                        story_id=f"fuzz-story-{number % 2}")
                for number, payload in enumerate(SCRIPT_PAYLOADS)]
    bulk_index(engine, settings.index_name(ARTICLES), [article.to_document() for article in articles],
               refresh=True)


def _fuzz_operation(operation: Any, mode: GenerationMode, api_url: str, headers: dict[str, str],
                    counts: Counter[str], failures: list[str]) -> None:
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        names = [str(value) for value in (case.path_parameters or {}).values()]
        if any(name.startswith(PROTECTED_NAMES) for name in names):
            return
        answer = case.call(base_url=api_url, headers=headers, timeout=30)
        counts["api_cases"] += 1
        counts[f"status_{answer.status_code // 100}xx"] += 1
        if answer.status_code >= 500:
            counts["api_5xx"] += 1
            failures.append(f"{case.method} {case.path} {case.formatted_path} {case.query} -> {answer.status_code}: "
                            f"{answer.text[:200]}")

    try:
        run()
    except Unsatisfiable:
        # Nothing to make invalid: an operation without parameters or body has no negative cases.
        if mode is not GenerationMode.NEGATIVE:
            raise


def test_no_operation_answers_5xx(settings: Settings, engine: SearchEngine, api_url: str,
                                  api_headers: dict[str, str]) -> None:
    _seed(engine, settings)
    document = httpx.get(f"{api_url}/openapi.json", headers=api_headers, timeout=30).json()
    schema = schemathesis.openapi.from_dict(document)
    counts: Counter[str] = Counter()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 8, "the OpenAPI document lists the API's operations"
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_operation(operation, mode, api_url, api_headers, counts, failures)
        _fuzz_operation(operation, GenerationMode.POSITIVE, api_url, {}, counts, failures)  # signed out
    record_figures("api_fuzz", Counter({key: counts[key] for key in ("api_cases", "api_5xx")}))
    print(f"api fuzz: {len(operations)} operations, {counts['api_cases']} requests, {counts['api_5xx']} 5xx, "
          f"by class {sorted((key, value) for key, value in counts.items() if key.startswith('status_'))}")
    assert counts["status_2xx"] > 0, "no request was answered: signed out, or the app is not serving"
    assert not failures, "\n".join(failures[:20])


PAGE_PARAMETERS = ("q", "since", "until", "sort", "page", "actor", "country", "source", "band", "duplicates")


def test_no_page_answers_5xx(engine: SearchEngine, api_url: str, api_headers: dict[str, str]) -> None:
    """The HTML pages are not in the OpenAPI document; the same rule holds for them."""
    from hypothesis import strategies as st

    counts: Counter[str] = Counter()
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    values = st.one_of(st.text(max_size=60), st.sampled_from([*SCRIPT_PAYLOADS, "0", "-1", "9" * 30, "2026-13-45",
                                                              "title:(unclosed", '"', "*", "\\", "%00"]))
    listing_pages = st.sampled_from(["/", "/stories"])  # where the parameters matter: drawn half the time
    paths = st.one_of(listing_pages, listing_pages, values.map(lambda text: f"/stories/{text}"),
                      values.map(lambda text: f"/actors/{text}"))

    @settings(max_examples=80, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(path=paths, params=st.dictionaries(st.sampled_from(PAGE_PARAMETERS), values, max_size=4))
    def run(path: str, params: dict[str, str]) -> None:
        try:
            answer = httpx.get(api_url + httpx.URL(path).raw_path.decode("ascii"), params=params,
                               headers=api_headers, timeout=30)
        except httpx.InvalidURL:
            return  # not a URL a client could send
        counts["api_cases"] += 1
        statuses[answer.status_code] += 1
        if answer.status_code >= 500:
            counts["api_5xx"] += 1
            failures.append(f"GET {path} {params} -> {answer.status_code}")

    run()
    record_figures("page_fuzz", counts)
    print(f"page fuzz: {counts['api_cases']} requests, statuses {dict(statuses)}")
    assert statuses[200] > 0, f"no page was rendered (signed out?): {dict(statuses)}"
    assert not failures, "\n".join(failures[:20])
