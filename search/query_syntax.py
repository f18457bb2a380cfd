"""Reading an analyst's query string: syntax errors worth explaining, and the
actor aliases it names, so a search for one name of an actor finds them all.

Pure functions over the Lucene query-string syntax both engines parse. The
engine stays the judge of what parses; this module only catches the common
slips early (with a message that says where) and finds plain words and
phrases that are an actor's alias, never a term the analyst aimed at a field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise

from coverwatch.taxonomy import Actor, Taxonomy, default_taxonomy

OPERATORS = frozenset({"AND", "OR", "NOT", "&&", "||", "!"})
# A word with any of these is a wildcard, fuzzy, boosted or otherwise special term.
_SPECIAL = re.compile(r"[*?~^:/\\\[\]{}+]")
_LONGEST_ALIAS_WORDS = 6


class QuerySyntaxError(ValueError):
    """The query string cannot be parsed; the message says what and where."""


@dataclass(frozen=True)
class Token:
    """One piece of a query string: ``word``, ``phrase``, ``operator``, ``open``,
    ``close`` or ``term`` (fielded, wildcard, range, prefixed: left as typed)."""

    kind: str
    text: str
    start: int
    end: int
    in_field: bool = False  # inside ``field:( ... )``: the analyst chose where to look


def _phrase_end(query: str, start: int) -> int:
    """Index just past the closing quote of the phrase opening at ``start``."""
    position = start + 1
    while position < len(query):
        if query[position] == "\\":
            position += 2
            continue
        if query[position] == '"':
            return position + 1
        position += 1
    raise QuerySyntaxError(f'the quote opened at character {start + 1} is never closed')


def _bracket_end(query: str, start: int) -> int:
    closing = query.find("]" if query[start] == "[" else "}", start)
    if closing < 0:
        raise QuerySyntaxError(f"the range opened at character {start + 1} is never closed")
    return closing + 1


def _suffix_end(query: str, position: int) -> int:
    """Past a ``~2`` or ``^1.5`` that may follow a phrase."""
    match = re.compile(r"[~^][0-9.]*").match(query, position)
    return match.end() if match else position


def tokenize(query: str) -> list[Token]:
    """Split a query string into tokens; raises :class:`QuerySyntaxError` for an
    unclosed quote, range or bracket, or a closing bracket with no opening."""
    tokens: list[Token] = []
    field_depths: list[int] = []  # bracket depth at which each field group opened
    depth, position = 0, 0
    while position < len(query):
        char = query[position]
        if char.isspace():
            position += 1
            continue
        in_field = bool(field_depths)
        if char == "(":
            depth += 1
            tokens.append(Token("open", char, position, position + 1, in_field))
            position += 1
            continue
        if char == ")":
            if depth == 0:
                raise QuerySyntaxError(f"the bracket at character {position + 1} closes nothing")
            if field_depths and field_depths[-1] == depth:
                field_depths.pop()
            depth -= 1
            tokens.append(Token("close", char, position, position + 1, bool(field_depths)))
            position += 1
            continue
        if char == '"':
            end = _suffix_end(query, _phrase_end(query, position))
            tokens.append(Token("phrase", query[position:end], position, end, in_field))
            position = end
            continue
        end = position
        while end < len(query) and not query[end].isspace() and query[end] not in '()"':
            if query[end] == "\\":
                end += 1
            elif query[end] in "[{" and end > position and query[end - 1] == ":":
                end = _bracket_end(query, end) - 1
            end += 1
        if end < len(query) and query[end] == '"' and query[end - 1] == ":":
            end = _suffix_end(query, _phrase_end(query, end))  # field:"a phrase"
        text = query[position:end]
        if text.endswith(":") and end < len(query) and query[end] == "(":
            field_depths.append(depth + 1)  # field:( ... ): what follows is aimed at that field
            kind = "term"
        elif text in OPERATORS:
            kind = "operator"
        elif _SPECIAL.search(text) or text[0] in "-!":
            kind = "term"
        else:
            kind = "word"
        tokens.append(Token(kind, text, position, end, in_field))
        position = end
    if depth:
        raise QuerySyntaxError("a bracket is opened and never closed")
    return tokens


def check_syntax(query: str) -> None:
    """Raise :class:`QuerySyntaxError` for the slips the engine reports least clearly."""
    tokens = tokenize(query)
    for before, after in pairwise(tokens):
        if before.kind == "open" and after.kind == "close":
            raise QuerySyntaxError(f"empty brackets at character {before.start + 1}")
    significant = [token for token in tokens if token.kind != "open" and token.kind != "close"]
    if significant and significant[-1].kind == "operator" and significant[-1].text != "!":
        raise QuerySyntaxError(f"the query ends with {significant[-1].text}: say what should follow it")


# --- actor aliases -------------------------------------------------------------------------

@dataclass(frozen=True)
class AliasExpansion:
    """One alias found in a query and every other name it now also searches."""

    typed: str
    actor_id: str
    actor_name: str
    also_searched: tuple[str, ...]

    @property
    def note(self) -> str:
        """'Fancy Bear = APT28: also searched APT28, Sofacy, Forest Blizzard…'"""
        shown = ", ".join(self.also_searched[:6])
        more = "…" if len(self.also_searched) > 6 else ""
        same = self.typed.casefold() == self.actor_name.casefold()
        named = self.typed if same else f"{self.typed} = {self.actor_name}"
        return f"{named}: also searched {shown}{more}"


@dataclass(frozen=True)
class ExpandedQuery:
    query_string: str
    expansions: tuple[AliasExpansion, ...] = ()


def alias_words(alias: str) -> tuple[str, ...]:
    return tuple(alias.casefold().split())


# Keyed by identity (a taxonomy is mutable, so unhashable); the taxonomy is kept
# beside its index so its id cannot be reused while cached.
_ALIAS_INDEXES: dict[int, tuple[Taxonomy, Mapping[tuple[str, ...], Actor]]] = {}


def alias_index(taxonomy: Taxonomy) -> Mapping[tuple[str, ...], Actor]:
    """Each actor name, as case-folded words, to its actor; ambiguous aliases
    (a word that is also a chemical, a fruit, a city) are left out."""
    cached = _ALIAS_INDEXES.get(id(taxonomy))
    if cached is not None and cached[0] is taxonomy:
        return cached[1]
    index: dict[tuple[str, ...], Actor] = {}
    for actor in taxonomy.actors:
        for name in actor.names:
            if not actor.is_ambiguous(name) and len(alias_words(name)) <= _LONGEST_ALIAS_WORDS:
                index[alias_words(name)] = actor
    if len(_ALIAS_INDEXES) > 8:
        _ALIAS_INDEXES.clear()
    _ALIAS_INDEXES[id(taxonomy)] = (taxonomy, index)
    return index


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _expansion_clause(typed: str, actor: Actor) -> tuple[str, AliasExpansion]:
    names = [name for name in actor.names if not actor.is_ambiguous(name)]
    others = tuple(name for name in names if name.casefold() != typed.casefold())
    clause = " OR ".join([_quoted(typed), *(_quoted(name) for name in others), f"actors:{_quoted(actor.id)}"])
    return f"({clause})", AliasExpansion(typed, actor.id, actor.name, others)


def _phrase_text(token: Token) -> str | None:
    """The words of a plain phrase token (no slop or boost), else None."""
    if token.kind != "phrase" or not token.text.endswith('"') or "\\" in token.text:
        return None
    return token.text[1:-1]


def _alias_spans(tokens: list[Token], index: Mapping[tuple[str, ...], Actor]) -> Iterable[tuple[int, int, str, Actor]]:
    """(first token, token after the last, text as typed, actor) for each alias,
    longest first where aliases overlap, left to right."""
    position = 0
    while position < len(tokens):
        token = tokens[position]
        phrase = _phrase_text(token)
        if phrase is not None and not token.in_field:
            actor = index.get(alias_words(phrase))
            if actor is not None:
                yield position, position + 1, phrase, actor
            position += 1
            continue
        found = None
        for width in range(_LONGEST_ALIAS_WORDS, 0, -1):
            run = tokens[position:position + width]
            if len(run) < width or any(t.kind != "word" or t.in_field for t in run):
                continue
            actor = index.get(tuple(t.text.casefold() for t in run))
            if actor is not None:
                found = (position, position + width, " ".join(t.text for t in run), actor)
                break
        if found:
            yield found
            position = found[1]
        else:
            position += 1


def expand_actor_aliases(query: str, taxonomy: Taxonomy | None = None) -> ExpandedQuery:
    """Rewrite each alias in ``query`` as an OR of every name of its actor and the
    actor's id, so 'Fancy Bear' also finds 'APT28', 'Sofacy' and articles tagged
    with the actor. Raises :class:`QuerySyntaxError` when the query cannot be read."""
    tokens = tokenize(query)
    index = alias_index(taxonomy or default_taxonomy())
    pieces: list[str] = []
    expansions: list[AliasExpansion] = []
    cursor = 0
    for first, after, typed, actor in _alias_spans(tokens, index):
        clause, expansion = _expansion_clause(typed, actor)
        pieces += [query[cursor:tokens[first].start], clause]
        cursor = tokens[after - 1].end
        if all(known.actor_id != actor.id for known in expansions):
            expansions.append(expansion)
    pieces.append(query[cursor:])
    return ExpandedQuery("".join(pieces), tuple(expansions))
