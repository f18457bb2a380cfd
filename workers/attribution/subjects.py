"""Who a sentence names as behind an operation: taxonomy actors by their aliases,
tracking names, and states beside threat words, as the accused or by their agencies
(see workers/attribution/__init__.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress

from coverwatch.taxonomy import Actor
from workers.attribution import cues
from workers.attribution.cues import screened


@dataclass(frozen=True)
class Subject:
    name: str
    state: str | None
    key: str  # an actor's id, "state:XX" or the name: what makes two mentions one subject
    start: int = 0  # where the sentence names it
    state_at: int = -1  # where the sentence ties it to its state, when elsewhere ("UNC5221 ... China-nexus")


def _has_word(sentence: str, word: str) -> int:
    """The start of ``word`` as a whole word in ``sentence``, else -1."""
    start = sentence.find(word)
    while start >= 0:
        end = start + len(word)
        if (start == 0 or not sentence[start - 1].isalnum()) and (end == len(sentence)
                                                                   or not sentence[end].isalnum()):
            return start
        start = sentence.find(word, start + 1)
    return -1


def aliases_of(actors: Sequence[Actor]) -> list[tuple[str, Actor]]:
    names = [(alias, actor) for actor in actors for alias in actor.names
             if alias.isascii() and len(alias) > 2]
    return sorted(names, key=lambda entry: -len(entry[0]))


def _state_of(words: str) -> list[str]:
    return list(dict.fromkeys(cues.STATE_WORDS[found.group(0)] for found in cues.STATE_IN_LIST.finditer(words)))


def _statesubjects(sentence: str) -> dict[str, tuple[str, int]]:
    """States named as culprits, beside threat words, as the accused or by their agencies:
    state -> (as named, where)."""
    states: dict[str, tuple[str, int]] = {}
    covered = 0
    # Tried only where a state word begins (every alternative of the pattern begins with one).
    for word in cues.STATE_LITERAL.finditer(sentence):
        if word.start() < covered:
            continue
        match = cues.STATE_CULPRIT.match(sentence, word.start())
        if match is None:
            continue
        covered = match.end()
        words = next(group for group in match.groups() if group)
        for code in _state_of(words):
            states.setdefault(code, (match.group(0), match.start()))
    if screened(sentence, "accused"):
        for match in cues.STATE_ACCUSED.finditer(sentence):
            for code in _state_of(match.group(1)):
                states.setdefault(code, (match.group(1), match.start(1)))
    for match in cues.AGENCY.finditer(sentence):
        states.setdefault(cues.STATE_AGENCIES[match.group(1)], (match.group(1), match.start()))
    return states


def subjects_in(sentence: str, screen: Screen, known: dict[str, str]) -> list[Subject]:
    """The culprits a sentence names; ``known`` holds the states the article gave tracking names."""
    found: dict[str, Subject] = {}
    taken: list[tuple[int, int]] = []
    for alias, actor in screen.aliases:
        start = _has_word(sentence, alias) if alias in sentence else -1
        if start < 0 or any(s <= start < e for s, e in taken):
            continue
        taken.append((start, start + len(alias)))
        found.setdefault(actor.id, Subject(alias, actor.state, actor.id, start))
    for name in screen.introduced:
        start = _has_word(sentence, name) if name in sentence else -1
        if start >= 0 and not any(s <= start < e for s, e in taken):
            taken.append((start, start + len(name)))
            found.setdefault(name, Subject(name, known.get(name), name, start))
    for match in cues.TRACKING_NAME.finditer(sentence) if screen.tracking else ():
        if not any(s <= match.start() < e for s, e in taken):
            taken.append(match.span())
            name = match.group(0)
            found.setdefault(name, Subject(name, known.get(name), name, match.start()))
    states = _statesubjects(sentence) if screen.states and cues.STATE_LITERAL.search(sentence) else {}
    named_states = {subject.state for subject in found.values()}
    untied = [key for key, subject in found.items() if subject.state is None]
    for code, (name, start) in states.items():
        if code in named_states:
            # "UAT-7290 ... shows China nexus indicators": where the sentence ties the group to its state.
            key = next((key for key, subject in found.items() if subject.state == code and subject.state_at < 0), None)
            if key is not None:
                found[key] = Subject(found[key].name, code, key, found[key].start, start)
            continue
        if untied:  # "the Chinese threat actor UNC5221": the name takes the state
            key = untied.pop(0)
            found[key] = Subject(found[key].name, code, key, found[key].start, start)
            known[key] = code
            continue
        found[f"state:{code}"] = Subject(name, code, f"state:{code}", start)
    # A tracking name no state is given for is a claim only alone ("APT15 and UNC5174": one group).
    stated = any(subject.state for subject in found.values())
    return sorted((subject for subject in found.values() if subject.state or not stated),
                  key=lambda subject: subject.start)


def _introduced_names(text: str) -> list[str]:
    """The names the text gives groups ("a threat actor it calls Spiral"), in order."""
    found: list[tuple[int, str]] = []
    for verb in cues.NAMING_VERBS:
        at = text.find(verb)
        while at >= 0:
            name = cues.INTRODUCED_NAME.match(text, at + len(verb) - 1)
            if name and cues.INTRODUCING_GROUP.search(text, max(0, at - 60), at + 1):
                found.append((at, name.group(1)))
            at = text.find(verb, at + 1)
    return [name for _, name in sorted(found)]


@dataclass(frozen=True)
class Screen:
    """What an article contains at all, found once: each sentence is then tested only
    for these (most sentences of most articles name no culprit and state no stance)."""

    aliases: tuple[tuple[str, Actor], ...]
    states: bool  # a state word or agency
    tracking: bool
    # Groups the article introduces by name ("a threat actor it calls Spiral"), which no taxonomy lists.
    introduced: tuple[str, ...] = ()

    @classmethod
    def of(cls, text: str, aliases: list[tuple[str, Actor]]) -> Screen:
        listed = tuple(compress(aliases, map(text.__contains__, (alias for alias, _ in aliases))))
        known = {alias for alias, _ in listed}
        introduced = tuple(name for name in dict.fromkeys(_introduced_names(text))
                           if name not in known and not cues.TRACKING_NAME.fullmatch(name))
        return cls(listed, cues.STATE_LITERAL.search(text) is not None,
                   cues.TRACKING_SCREEN.search(text) is not None, introduced)

    def may_name_culprit(self, sentence: str) -> bool:
        return (any(alias in sentence for alias, _ in self.aliases)
                or any(name in sentence for name in self.introduced)
                or (self.states and cues.STATE_LITERAL.search(sentence) is not None)
                or (self.tracking and cues.TRACKING_SCREEN.search(sentence) is not None))
