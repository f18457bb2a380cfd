"""Reading claims sentence by sentence (see workers/attribution/__init__.py).

Per sentence: the subjects (subjects.py: taxonomy actors by their aliases, states
beside threat words, state agencies, tracking names), the speakers (speakers.py:
government bodies, vendors, outlets, anonymous officials, a spokesperson or an
organisation that speaks), and the stance (a denial, a refusal, a doubt, a hedge,
else firm; with no subject, a confirmation of the incident). A sentence with a
subject but no speaker is said by the last vendor or government the article
quoted when it reports speech ("the company said", quotes, "attributed to"),
else by the outlet itself. Claims are kept once per (claimant, stance, subject)
per article.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from coverwatch.taxonomy import Actor
from workers.attribution import cues
from workers.attribution.cues import screened
from workers.attribution.model import EVIDENCE_CHARS, KINDS_WITH_COUNTRY, AttributedClaim, ClaimantKind, Stance
from workers.attribution.native import native_claims
from workers.attribution.speakers import Speaker, joint, lead_of, organisation_in, speakers_in
from workers.attribution.subjects import Screen, Subject, aliases_of, subjects_in
from workers.lang import profile
from workers.phrases import split_sentences, word_keys


def _stance(sentence: str, has_subject: bool) -> Stance | None:
    folded = sentence.casefold()
    if screened(sentence, "denies") and cues.DENIES.search(folded):
        return Stance.DENIES
    refusal = cues.DECLINES.search(folded) if screened(sentence, "declines") else None
    # "did not make any attribution, but found evidence that links it to APT28": the link stands.
    if refusal and not (has_subject and cues.TAKEN_BACK.search(folded, refusal.end())):
        return Stance.DECLINES_TO_CONFIRM
    if has_subject:
        if screened(sentence, "disputes") and cues.DISPUTES.search(folded):
            return Stance.DISPUTES
        return Stance.ATTRIBUTES
    if ((screened(sentence, "confirms") or (screened(sentence, "confirms_said") and screened(sentence, "incident")))
            and cues.CONFIRMS.search(folded) and cues.INCIDENT.search(folded)):
        return Stance.CONFIRMS
    return None


def _stances(sentence: str, has_subject: bool) -> list[Stance]:
    """The sentence's stance, and a confirmation before a refusal beside it ("confirmed
    the breach but declined to share specifics": both were said)."""
    stance = _stance(sentence, has_subject)
    if stance is not Stance.DECLINES_TO_CONFIRM or has_subject:
        return [stance] if stance is not None else []
    folded = sentence.casefold()
    refusal = cues.DECLINES.search(folded)
    before = folded[:refusal.start()] if refusal else ""
    if before and cues.CONFIRMS.search(before) and cues.INCIDENT.search(before):
        return [Stance.CONFIRMS, stance]
    return [stance]


def _may_take_a_stance(sentence: str) -> bool:
    """Whether a sentence naming no culprit can deny, decline or confirm at all."""
    words = word_keys(sentence)
    return not (cues.STANCE_WORDS.isdisjoint(words)
                and (cues.SAID_WORDS.isdisjoint(words) or cues.INCIDENT_WORDS.isdisjoint(words)))


def _hedged(sentence: str, folded: str, subject: Subject) -> bool:
    """Said with a hedge about this subject: before it, or just after it in its clause
    ("UNC5174 is believed to"), not about another named beside it ("X, an adversary believed ...")."""
    if not screened(sentence, "suspects") or (screened(sentence, "high_confidence")
                                             and cues.HIGH_CONFIDENCE.search(folded)):
        return False
    end = subject.start + len(subject.name)
    after = folded[end:end + 60].split(",")[0]
    tie = folded[subject.state_at:subject.state_at + 60].split(",")[0] if subject.state_at >= 0 else ""
    return any(cues.SUSPECTS.search(part) for part in (folded[:end], after, tie))


_VICTIM = re.compile(r"\b(?:against|targeting|targeted|breach(?:ed|ing)?|hack(?:ed|ing)|compromis(?:ed|ing)|"
                     r"into|at)\s+((?:the\s+)?(?:[A-Z][\w&.\-’']*\s*){1,5})")


def _victim(sentence: str) -> str | None:
    match = _VICTIM.search(sentence)
    return match.group(1).strip() if match else None


def _claimant_key(name: str) -> str:
    folded = re.sub(r"^(?:the|a|an)\s+|\s*\([^)]*\)", "", name.casefold())
    # "U.S." and "US" as words ("the U.S. State Department"), not inside one ("Citrus Labs").
    folded = re.sub(r"\b(?:u\.s\.|us) ", "", folded)
    return cues.CLAIMANT_KEYS.get(folded, folded)


def _joined(sentences: tuple[str, ...]) -> tuple[str, ...]:
    """The sentences, with those the splitter cut after an abbreviation ("The U.S." |
    "Department of State said ...", "researcher R." | "Bansal") joined again."""
    if not any(map(cues.cut_after_abbreviation, sentences)):
        return sentences
    joined: list[str] = []
    for sentence in sentences:
        if joined and cues.cut_after_abbreviation(joined[-1]):
            joined[-1] = f"{joined[-1]} {sentence}"
        else:
            joined.append(sentence)
    return tuple(joined)


def extract_claims(title: str, body: str, *, outlet: str, actors: Sequence[Actor] = (),
                   language: str = "en") -> list[AttributedClaim]:
    """Every attribution claim the article reports, in the order first said."""
    if language != "en":
        native = profile(language)
        return native_claims(body, actors, native) if native is not None else []
    sentences = _joined(split_sentences(body))
    screen = Screen.of(body, aliases_of(actors))
    known: dict[str, str] = {}
    untied: list[tuple[str, str, Stance, Speaker, Subject]] = []
    claims: dict[tuple[str, Stance, str | None], AttributedClaim] = {}
    speakers: dict[int, tuple[Speaker, ...]] = {}

    def named_in(index: int) -> tuple[Speaker, ...]:
        """Who sentence ``index`` names as speaking, found once per sentence."""
        if index not in speakers:
            speakers[index] = tuple(joint(sentences[index], speakers_in(sentences[index])))
        return speakers[index]

    def last_before(index: int) -> Speaker | None:
        """The vendor or government the article quoted last before sentence ``index``."""
        for previous in range(index - 1, -1, -1):
            if lead := lead_of(named_in(previous)):
                return lead
        return None

    for index, sentence in enumerate(sentences):
        if sentence.startswith("#"):
            continue  # a heading: what the text under it says is read there
        culprit = screen.may_name_culprit(sentence)
        if not culprit and not _may_take_a_stance(sentence):
            continue
        folded = sentence.casefold()
        subjects = subjects_in(sentence, screen, known) if culprit else []
        for stance in _stances(sentence, bool(subjects)):
            named = list(named_in(index))
            if not named:
                if subjects and cues.CARRIES.search(sentence) and (last := last_before(index)):
                    named = [last]
                elif subjects:
                    named = [Speaker(outlet, ClaimantKind.MEDIA, None, -1)]
                else:
                    organisation = organisation_in(sentence)
                    last = last_before(index) if organisation is None and stance is not Stance.CONFIRMS else None
                    named = [organisation] if organisation else ([last] if last else [])
            _add_claims(claims, sentence, folded, stance, named, subjects, untied)
    # A group named before the article ties it to a state ("it calls Spiral" ... "Spiral operates
    # out of China"): its claims, kept aside, are claims about that state.
    for sentence, folded, stance, speaker, subject in untied:
        if subject.name in known:
            tied = Subject(subject.name, known[subject.name], subject.name, subject.start)
            _add_claims(claims, sentence, folded, stance, [speaker], [tied], [])
    return list(claims.values())


def _add_claims(claims: dict[tuple[str, Stance, str | None], AttributedClaim], sentence: str, folded: str,
                stance: Stance, named: list[Speaker], subjects: list[Subject],
                untied: list[tuple[str, str, Stance, Speaker, Subject]]) -> None:
    """The claims of one sentence with one stance, each speaker's about each subject, once per article."""
    victim = _victim(sentence)
    firm = stance in (Stance.ATTRIBUTES, Stance.SUSPECTS, Stance.DISPUTES)
    for speaker in named:
        kind, country = speaker.kind, speaker.country
        about: list[Subject | None] = list(subjects) if firm else [None]
        if stance is Stance.DENIES and kind is ClaimantKind.GOVERNMENT and country in cues.ACCUSABLE:
            kind = ClaimantKind.ACCUSED
            about = [Subject(speaker.name, country, f"state:{country}")]
        if (kind is ClaimantKind.VENDOR and stance in (Stance.CONFIRMS, Stance.DENIES)
                and cues.OWN.search(sentence)):
            kind = ClaimantKind.VICTIM  # "FireEye disclosed it had detected a breach"
        if kind is ClaimantKind.MEDIA and stance in (Stance.DENIES, Stance.DECLINES_TO_CONFIRM):
            continue  # an outlet reports refusals and denials; it makes none
        for subject in about:
            if stance is Stance.ATTRIBUTES and subject is not None and _hedged(sentence, folded, subject):
                stance_here = Stance.SUSPECTS
            else:
                stance_here = stance
            if firm and subject is not None and subject.state is None and subject.key == subject.name:
                untied.append((sentence, folded, stance, speaker, subject))
                continue  # a tracking name nobody has tied to a state yet
            if (kind is ClaimantKind.MEDIA and subject is not None and not subject.key.startswith("state:")
                    and not cues.STATE_LITERAL.search(sentence)):
                continue  # the outlet names a known group in passing; its own claim ties the group to a state
            claimant = _claimant_key(speaker.name)
            if (subject is not None and subject.state and not subject.key.startswith("state:")
                    and kind is not ClaimantKind.MEDIA):
                # "Chinese hackers" first, "APT15" later, by the same claimant: the group is what was named.
                claims.pop((claimant, stance_here, f"state:{subject.state}"), None)
            if subject is not None and subject.state and (
                    (claimant, stance_here, f"state:{subject.state}") in claims
                    or (subject.key.startswith("state:") and any(
                        key[0] == claimant and key[1] is stance_here and claim.subject_state == subject.state
                        for key, claim in claims.items()))):
                continue  # "Chinese state hackers" after "Salt Typhoon", by the same claimant
            subject_key = subject.key if subject else None
            if kind is ClaimantKind.MEDIA and subject is not None and subject.state:
                subject_key = f"state:{subject.state}"  # the outlet's own voice: once per state and stance
            key = (claimant, stance_here, subject_key)
            if key in claims:
                continue
            claims[key] = AttributedClaim(
                claimant=speaker.name, claimant_kind=kind,
                claimant_country=country if kind in KINDS_WITH_COUNTRY else None, stance=stance_here,
                subject=subject.name if subject else None, subject_state=subject.state if subject else None,
                victim=victim, evidence=sentence[:EVIDENCE_CHARS])
