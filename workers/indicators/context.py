"""Whether news text presents a plainly written name (a domain, URL or e-mail
address) as an indicator, or as a victim, a service, an example or a file.

Reporters name far more domains than indicators: sources, vendors, breached
companies, the services an attack abuses, look-alikes anyone could buy, file
names that end like a TLD. A writer who means a value as an indicator says so,
in one of two ways this module reads:

- **words around it**, within its sentence: *strong* words say the value is
  malicious (C2, command-and-control, IOCs, phishing site, attacker-controlled
  server, typosquat, exfiltration, kill switch, watering hole) and decide alone;
  *victim, service and example* words (targeted sites, breached, compromised,
  defaced, e-mail accounts, legitimate, a public web service, for example,
  could buy) then rule it out; a file noun closer before it than any site noun
  ("the archive holds three files, namely ...") makes it a file; otherwise
  *weak* words within some 150 characters (domain, server, hosted, registered,
  download ...) let it count, as before;
- **a list**: a line that holds little but values (bullets ``*``, ``-``, ``•``,
  numbers, table cells, a code block; "Label: a.com, b.net"), or a run of
  three or more values in prose separated by commas, semicolons or "and"
  ("brands A (a.com), B (b.net), C (c.org)"). A list counts without context
  words, unless its heading, its own label or the line after it says victims,
  services or examples ("Other targeted domains:"), and strong words in the
  heading decide as in prose. Lists are where IOCs are published; prose is where
  names are cited.

Values are candidate words (the extractor's), so "website" inside
``xd.website`` is never read as a word about the value.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from itertools import pairwise

# Words about the thing named: what makes a value malicious whatever else its sentence says.
_SITE_NOUN = (r"(?:domains?|sub-?domains?|urls?|sites?|websites?|web ?pages?|pages?|servers?|links?|hosts?|"
              r"infrastructure|portals?|ip(?: address(?:es)?)?|addresses|endpoints?)")
_STRONG = re.compile(
    r"(?<![\w.@/-])(?:c2|c&c|cnc|command[- ]and[- ]control|iocs?|indicators? of compromise|"
    r"(?:malicious|phishing|fake|counterfeit|spoofed|bogus|fraudulent|rogue|look-?alike|typo-?squatt?(?:ed|ing)|"
    r"decoy|attacker-(?:controlled|owned|operated|registered)|attackers?['’]s?|actor-controlled)"
    rf"(?: [\w-]+){{0,2}} {_SITE_NOUN}|"
    r"typo-?squat\w*|registered by|controlled by (?:the )?(?:attackers?|hackers?|threat actors?|group)|"
    r"exfiltrat\w*|beacon(?:s|ed|ing)?|sinkhol\w*|kill-?switch\w*|watering[- ]?hol\w*|waterholing|"
    r"block ?lists?|blacklist\w*|block (?:the|these|those|following)|to block)(?![\w-]|\.\w)",
    re.IGNORECASE)
# Words that say what sort of thing a value is, without saying it is malicious.
_WEAK = re.compile(
    r"\b(?:domains?|subdomains?|c2|c&c|command[- ]and[- ]control|servers?|malicious|phishing|lures?|payloads?|"
    r"download\w*|hosted|hosting|registered|resolv\w*|infrastructure|redirect\w*|beacon(?:s|ed|ing)?|exfiltrat\w*|iocs?|"
    r"indicators?|block\w*|spoof\w*|typosquat\w*|look-?alike|impersonat\w*|masquerad\w*|mimic\w*|fake|"
    r"watering[- ]hole|attackers?|contact(?:ed|s)|connect\w*|sender|sent from|email address)\b", re.IGNORECASE)
# Words that say the value is a victim, a legitimate service, or a hypothetical example.
_VICTIM_NOUN = r"(?:sites?|websites?|domains?|forums?|pages?|portals?|organi[sz]ations?|compan(?:y|ies)|entities)"
_NOT_MALICIOUS = re.compile(
    r"(?<![\w.@/-])(?:"
    # victims: targeted, breached, hacked, defaced or compromised sites; the accounts people hold at a domain
    rf"target(?:ed|ing|s)? (?:[\w-]+ ){{0,3}}{_VICTIM_NOUN}|victim {_VICTIM_NOUN}|"
    rf"(?:breached|hacked|defaced|compromised) (?:[\w-]+ ){{0,2}}{_VICTIM_NOUN}|"
    r"(?:was|were|been|being|got) (?:\w+ )?(?:breached|hacked|defaced|compromised)|"
    r"e-?mail accounts?|(?:user |customer )?accounts? (?:at|on|of)|"
    # the writer's, a spokesperson's or a press office's address
    r"to contact (?:the |this )?(?:reporters?|writers?|authors?|editors?)|(?:press|media) (?:contacts?|enquiries)|"
    # legitimate services (not "posing as legitimate ...", which says the opposite)
    r"(?<!as )(?<!as a )legitimate (?:[\w-]+ ){0,2}(?:sites?|websites?|domains?|services?|platforms?|tools?|"
    r"software|compan(?:y|ies)|businesses)|genuine|official (?:site|website|domain|page|portal)|valid domain|"
    r"(?:public|free)(?: online| web)? (?:service|platform|tool)|web service|"
    # hypothetical values: look-alikes anyone could register, names for sale
    r"hypothetical\w*|fictitious|imaginary|made-up|anyone could|for sale|"
    r"(?:could|can|possible to|able to) (?:\w+ ){0,2}(?:buy|bought|purchas\w*|regist\w*)|"
    r"buy (?:[\w-]+ ){0,2}domains?|available (?:to|for) (?:register|registration|purchase|sale)"
    r")(?![\w-]|\.\w)", re.IGNORECASE)
# The last of these before a value says whether it names a file or a site.
_FILE_OR_SITE = re.compile(
    r"(?<![\w.@/-])(?:(?P<file>files?|file ?names?|attachments?|archives?|documents?|executables?|scripts?|"
    rf"shortcuts?|dlls?|binar(?:y|ies)|extensions?)|{_SITE_NOUN}|c2|c&c)(?![\w-]|\.\w)", re.IGNORECASE)

# An article about an attack names some of these; a bakery's page, a press release, a
# reference list, a list of MPs' addresses or a protocol's specification (which says
# "malicious" in its security section, so that word is not one of them) names none, and its lines of bare links and
# addresses are contacts and sources, not IOC lists.
_THREAT_WORDS = re.compile(
    r"\b(?:malware|phish\w*|hack(?:ers?|ed|ing)|ransomware|botnets?|trojan\w*|backdoor\w*|spyware|"
    r"(?:info)?stealers?|threat actors?|attackers?|cyber-?attacks?|cyber-?espionage|apt ?\d+|c2|c&c|"
    r"command[- ]and[- ]control|iocs?|indicators)\b", re.IGNORECASE)

_BEFORE, _AFTER = 150, 80
_SENTENCE_SPAN = 400
_HEADING_SPAN = 300
# A sentence ends at . ! ? (closing quotes and brackets allowed) before a capital: not at "e.g. the".
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*\s+(?=[\"'“‘(\[*_]*[A-Z0-9])")
_BULLET = re.compile(r"\s*(?:[-*•+▪◦‣]|\d{1,3}[.)]|#{1,6})\s")
_TABLE = re.compile(r"\||\t|\S {3,}\S")
_LETTER_WORD = re.compile(r"[^\W\d_]{2,}")
_CONNECTIVES = frozenset({"and", "or"})
# A list line may carry a short label or note beside its values ("Other domains:", "(C2)").
_LIST_WORDS = 4
_ITEM_LEAD_WORDS = 3
_LABEL = re.compile(r"[^:\n]{1,60}:[\s*_`]*")
# Between two values of a run in prose: a separator and at most a short name ("), ABC Proxy (").
_RUN_GAP = 40
_RUN_WORDS = 3
_RUN_SEPARATOR = re.compile(r"[,;|/]|\b(?:and|or)\b")
_RUN_LENGTH = 3
_LINES_WALKED = 200


# A line a walk found ("" for the text's edge) and how many lines away it is.
Neighbour = tuple[str, int]


class NewsContext:
    """The sentences and lists of one (refanged) article text around its candidate
    values; read lazily, each line's kind at most once."""

    def __init__(self, text: str, values: Sequence[tuple[int, int]]) -> None:
        self.text = text
        self.values = sorted(values)
        self.starts = [start for start, _ in self.values]
        self._list_lines: dict[int, bool] = {}
        # (line start, step) -> the line _neighbour finds and how many lines away, or
        # (None, _LINES_WALKED): none within that many.
        self._neighbours: dict[tuple[int, int], tuple[str | None, int]] = {}
        self._threat_article: bool | None = None

    def speaks_of_attacks(self) -> bool:
        """Whether the article names malware, hacking, phishing or the like at all."""
        if self._threat_article is None:
            self._threat_article = _THREAT_WORDS.search(self.text) is not None
        return self._threat_article

    # ---- lines and lists ----

    def _line(self, position: int) -> tuple[int, int]:
        start = self.text.rfind("\n", 0, position) + 1
        end = self.text.find("\n", position)
        return start, len(self.text) if end < 0 else end

    def _values_in(self, start: int, end: int) -> list[tuple[int, int]]:
        first = bisect_left(self.starts, start)
        last = bisect_left(self.starts, end, lo=first)
        return self.values[first:last]

    def _leftover_words(self, pieces: Sequence[str]) -> int:
        return sum(1 for piece in pieces for word in _LETTER_WORD.findall(piece)
                   if word.lower() not in _CONNECTIVES)

    def is_list_line(self, start: int, end: int) -> bool:
        """A line holding little but values: an IOC list's item, a table row, a labelled run."""
        known = self._list_lines.get(start)
        if known is not None:
            return known
        values = self._values_in(start, end)
        listed = False
        if values:
            pieces = [self.text[start:values[0][0]]]
            pieces += [self.text[left[1]:right[0]] for left, right in pairwise(values)]
            pieces.append(self.text[values[-1][1]:end])
            bullet = _BULLET.match(pieces[0])
            if bullet:
                pieces[0] = pieces[0][bullet.end():]
            leftover = self._leftover_words(pieces)
            marked = bullet is not None or _TABLE.search(self.text, start, end) is not None
            # "* Brand - brand.com, a proxy service sold to resellers": an item that opens with its value.
            opens_with_value = bullet is not None and self._leftover_words(pieces[:1]) <= _ITEM_LEAD_WORDS
            # "Other domains: a.com, b.net": a short label, then values and nothing else.
            labelled = len(values) > 1 and _LABEL.fullmatch(pieces[0]) is not None \
                and self._leftover_words(pieces[1:]) == 0
            listed = leftover == 0 or opens_with_value or labelled or (leftover <= _LIST_WORDS and marked)
        self._list_lines[start] = listed
        return listed

    def _neighbour(self, start: int, end: int, step: int) -> str:
        """The first line above (step -1) or below (step 1) the list this line is in
        that is neither blank, a code fence, nor a list line: its heading or the line
        after; "" at the text's edge or when none lies within ``_LINES_WALKED`` lines.

        What a walk learns is kept for its line and every line it passed (the line
        it found and how far away, or that none lies within the bound), and a later
        walk stops at the first line already known: a long list is walked once, not
        once per item, and every answer is the one the bounded walk gives."""
        origin = start
        passed: list[int] = []  # the line starts walked past, nearest first
        found: Neighbour | None = None  # a line (or "" for the edge) and its distance from origin
        for steps in range(1, _LINES_WALKED + 1):
            if step < 0:
                if start == 0:
                    found = ("", steps)
                    break
                end = start - 1
                start = self.text.rfind("\n", 0, end) + 1
            else:
                if end >= len(self.text):
                    found = ("", steps)
                    break
                start = end + 1
                newline = self.text.find("\n", start)
                end = len(self.text) if newline < 0 else newline
            line = self.text[start:end].strip()
            if line and not line.startswith("```") and not self.is_list_line(start, end):
                found = (line, steps)
                break
            known = self._neighbours.get((start, step))
            if known is not None:
                # That line's own walk goes on from here.
                found = None if known[0] is None else (known[0], steps + known[1])
                if found is None:  # none within the bound past it: none within ours, nor the passed lines'
                    for passed_start in (origin, *passed):
                        self._neighbours[(passed_start, step)] = (None, _LINES_WALKED)
                    return ""
                break
            passed.append(start)
        if found is None:  # walked the whole bound: true of the origin alone
            self._neighbours[(origin, step)] = (None, _LINES_WALKED)
            return ""
        line, distance = found
        self._neighbours[(origin, step)] = (line, distance)
        for steps, passed_start in enumerate(passed, start=1):
            self._neighbours[(passed_start, step)] = (line, distance - steps)
        return line if distance <= _LINES_WALKED else ""

    def _in_run(self, position: int, line_start: int, line_end: int) -> bool:
        """Whether the value at ``position`` is one of three or more values separated
        only by commas, semicolons, "and" or short names."""
        values = self._values_in(line_start, line_end)
        at = next((index for index, (start, end) in enumerate(values) if start <= position < end), None)
        if at is None:
            return False

        def joined(left: tuple[int, int], right: tuple[int, int]) -> bool:
            gap = self.text[left[1]:right[0]]
            # A list flattened into one line (HTML list items joined by spaces) has no separator at all.
            return len(gap) <= _RUN_GAP and (not gap.strip() or _RUN_SEPARATOR.search(gap) is not None) \
                and self._leftover_words([gap]) <= _RUN_WORDS
        first = last = at
        while first > 0 and joined(values[first - 1], values[first]):
            first -= 1
        while last + 1 < len(values) and joined(values[last], values[last + 1]):
            last += 1
        return last - first + 1 >= _RUN_LENGTH

    # ---- sentences ----

    def _sentence(self, position: int, length: int, line_start: int, line_end: int) -> tuple[str, str]:
        """The text of the value's sentence before it and after it."""
        floor = max(line_start, position - _SENTENCE_SPAN)
        start = floor
        for boundary in _SENTENCE_END.finditer(self.text, floor, position):
            start = boundary.end()
        after = _SENTENCE_END.search(self.text, position + length, min(line_end, position + length + _SENTENCE_SPAN))
        end = after.start() + 1 if after else min(line_end, position + length + _SENTENCE_SPAN)
        return self.text[start:position], self.text[position + length:end]

    # ---- the judgement ----

    @staticmethod
    def _named_as_file(before: str) -> bool:
        """A bare name is a file when a file noun comes after the last site noun before it."""
        nouns = _FILE_OR_SITE.findall(before)
        return bool(nouns) and bool(nouns[-1])

    def presents_as_indicator(self, position: int, length: int, kind: str = "domain") -> bool:
        """Whether the plainly written value of ``kind`` (domain, url, email) at
        ``text[position:position + length]`` is presented as an indicator (see the
        module docstring)."""
        line_start, line_end = self._line(position)
        before, after = self._sentence(position, length, line_start, line_end)
        if not self.speaks_of_attacks():
            # Only strong words in its sentence can make a name in such a page an indicator; its
            # lists are contacts and sources (and are not read: a page of 300 addresses costs nothing).
            return _STRONG.search(before) is not None or _STRONG.search(after) is not None
        if self.is_list_line(line_start, line_end):
            heading = self._neighbour(line_start, line_end, -1)[-_HEADING_SPAN:]
            following = self._neighbour(line_start, line_end, 1)
            before = f"{heading}\n{self.text[line_start:position]}"
            after = f"{self.text[position + length:line_end]}\n{following}"
            listed = True
        else:
            listed = self._in_run(position, line_start, line_end)
        if _STRONG.search(before) or _STRONG.search(after):
            return True
        if _NOT_MALICIOUS.search(before) or _NOT_MALICIOUS.search(after):
            return False
        if kind == "domain" and self._named_as_file(before):
            return False
        if listed:
            return True
        window = self.text[max(line_start, position - _BEFORE):min(line_end, position + length + _AFTER)]
        return _WEAK.search(window) is not None
