"""``new_term``: a value of an article field (an actor, a victim country, a
malware family...) that none of the rule's matches had in the last
``lookback_days``: "an actor we had not seen in 90 days is back". One alert
per value and return; the message leads with the article that brought it back."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from alerts.rule_model import AlertRule, Firing
from alerts.rule_types import register_rule_type
from alerts.rule_types._coverage import articles_by_id
from alerts.rule_types._trend_reads import first_sightings, last_sightings, sightings
from alerts.trend_windows import NewTerm, first_return, new_terms
from coverwatch.fields import new_term_fields
from coverwatch.settings import Settings
from search.engine import SearchEngine

# Rule field name -> article field (keyword, as indexed): the `new_term` rows of coverwatch/fields.py.
TERM_FIELDS = new_term_fields()
if TYPE_CHECKING:
    TermField = str
else:  # one of those names, checked and listed by the schema
    TermField = Literal[tuple(TERM_FIELDS)]
# A scheduled evaluation looks this far back for first sightings, so a value
# seen while beat was down still alerts (once) when it comes back.
CATCH_UP = timedelta(days=1)


def group_key(field: str, term: NewTerm) -> str:
    # The opening article names the return: a value back again after another
    # quiet lookback gets a new key, the same return on the next tick does not.
    return f"new_term:{field}:{term.sighting.value}:{term.sighting.article_id}"


@register_rule_type
class NewTermRule(AlertRule):
    type: Literal["new_term"] = "new_term"
    field: TermField
    lookback_days: float = Field(default=90, gt=0, le=3 * 366)

    percolated = False
    periodic = True

    @property
    def lookback(self) -> timedelta:
        return timedelta(days=self.lookback_days)

    def summary(self) -> str:
        return (f"new_term: {self.field} unseen for {self.lookback_days:g} days in "
                f"{self.query_string or 'filters'}")

    def _firings(self, engine: SearchEngine, settings: Settings, terms: list[NewTerm]) -> list[Firing]:
        articles = articles_by_id(engine, settings, [term.sighting.article_id for term in terms])
        return [Firing(self, articles[term.sighting.article_id], group_key(self.field, term), term.sighting.at,
                       f"new {self.field.rstrip('s')} {term.sighting.value!r}: "
                       + (f"last seen {term.last_seen:%d %b %Y}" if term.last_seen
                          else f"not seen in {self.lookback_days:g} days"),
                       {"field": self.field, "value": term.sighting.value,
                        "last_seen": term.last_seen.isoformat() if term.last_seen else None,
                        "lookback_days": self.lookback_days})
                for term in terms if term.sighting.article_id in articles]

    def evaluate(self, engine: SearchEngine, settings: Settings, now: datetime) -> list[Firing]:
        """Two aggregations, whatever the volume: each value's first match of the
        catch-up period, then when each was last seen in the lookback before it."""
        field, since = TERM_FIELDS[self.field], now - CATCH_UP
        firsts = first_sightings(engine, settings, self, field, since, now)
        before = last_sightings(engine, settings, self, field, [first.value for first in firsts],
                                since - self.lookback, since)
        terms = [NewTerm(first, before.get(first.value)) for first in firsts
                 if first_return(first.at, before.get(first.value), self.lookback)]
        return self._firings(engine, settings, terms)

    def preview(self, engine: SearchEngine, settings: Settings, since: datetime,
                until: datetime) -> list[Firing]:
        seen = sightings(engine, settings, self, TERM_FIELDS[self.field], since - self.lookback, until)
        return self._firings(engine, settings, new_terms(seen, since, self.lookback))
