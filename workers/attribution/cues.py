"""The English words of attribution claims, as data: who can speak (government
bodies with their states, security vendors, outlets, anonymous officials), what
names a culprit (states beside threat words, state agencies, tracking names) and
how firmly it is said (hedges, confirmations, refusals, denials, doubts).

Each pattern is compiled once; workers/attribution/reader.py applies them per sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from operator import itemgetter

from workers.claim_types import VENDORS
from workers.phrases import word_keys

# States as the press names them when it names who is behind an operation: adjective
# or name -> ISO alpha-2. Capitals stand for their governments ("Beijing denied").
STATE_WORDS: dict[str, str] = {
    "Chinese": "CN", "China": "CN", "PRC": "CN", "Beijing": "CN",
    "Russian": "RU", "Russia": "RU", "Moscow": "RU", "Kremlin": "RU",
    "North Korean": "KP", "North Korea": "KP", "DPRK": "KP", "Pyongyang": "KP",
    "Iranian": "IR", "Iran": "IR", "Tehran": "IR",
    "Pakistani": "PK", "Pakistan": "PK", "Indian": "IN", "India": "IN",
    "Vietnamese": "VN", "Vietnam": "VN", "Belarusian": "BY", "Belarus": "BY",
    "Israeli": "IL", "Israel": "IL", "Ukrainian": "UA", "Ukraine": "UA",
    "American": "US", "U.S.": "US", "US": "US", "United States": "US",
    "South Korean": "KR", "Turkish": "TR", "Turkey": "TR", "Lebanese": "LB", "Hamas": "PS",
    "French": "FR", "France": "FR", "Emirati": "AE", "UAE": "AE", "Syrian": "SY", "Kazakh": "KZ",
}
STATE_AGENCIES: dict[str, str] = {
    "GRU": "RU", "FSB": "RU", "SVR": "RU", "Federal Security Service": "RU", "Foreign Intelligence Service": "RU",
    "Main Intelligence Directorate": "RU",
    "MSS": "CN", "Ministry of State Security": "CN", "PLA": "CN", "People's Liberation Army": "CN",
    "RGB": "KP", "Reconnaissance General Bureau": "KP",
    "IRGC": "IR", "MOIS": "IR", "Revolutionary Guard": "IR", "Islamic Revolutionary Guard Corps": "IR",
    "Ministry of Intelligence and Security": "IR",
}


def _alternatives(words: Iterable[str]) -> str:
    """A regex alternation of literal words, longest first."""
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


STATE = rf"(?:{_alternatives(STATE_WORDS)})"
_STATE_LIST = rf"{STATE}(?:['’]s)?(?:(?:\s*,\s*|,?\s+(?:and|or)\s+){STATE}(?:['’]s)?)*"
_LINK = (r"(?:[- ](?:linked|nexus|aligned|backed|sponsored|state[- ]sponsored|based|affiliated|connected|"
         r"origin|speaking|government[- ](?:backed|sponsored|affiliated)|state|nation[- ]state))")
_THREAT_NOUN = (r"(?:hack\w*|threat actors?|threat groups?|threat clusters?|threat activity|actors?|groups?|APTs?|"
                r"adversar(?:y|ies)|operatives|operators?|spies|spy\w*|military|intelligence|government|regime|"
                r"cyber[- ]?(?!secur)\w*|nationals|IT workers|crews?|gangs?|clusters?|campaigns?|activity|attack\w*|"
                r"intrusions?|espionage|units?|officers|agents?|entities|individuals|state|malware)")
# "Chinese state-sponsored hackers", "a China-nexus espionage group", "Russian and Chinese activity".
# The states the press accuses; other states count beside unmistakable threat words only
# ("U.S. government" and "U.S.-based" are victims and places, "Chinese government" a culprit).
ACCUSABLE = frozenset({"CN", "RU", "KP", "IR", "BY"})
_ACCUSABLE_STATE = rf"(?:{_alternatives(word for word, code in STATE_WORDS.items() if code in ACCUSABLE)})"
_ACCUSABLE_LIST = (rf"{_ACCUSABLE_STATE}(?:['’]s)?(?:(?:\s*,\s*|,?\s+(?:and|or)\s+){_ACCUSABLE_STATE}(?:['’]s)?)*")
_STRICT_NOUN = (r"(?:hack(?:ers?|ing groups?|ing crews?|ing teams?)|threat actors?|threat groups?|APTs?|"
                r"spies|operatives|cyber[- ]?(?:espionage|spies|actors?|groups?|criminals)|state[- ]sponsored)")
# "Chinese state-sponsored hackers", "a China-nexus espionage group", "Russian and Chinese activity".
STATE_CULPRIT = re.compile(
    rf"\b({_ACCUSABLE_LIST})(?:{_LINK}|-(?=\w))?\s*(?:[\w\-]+\s+){{0,3}}?{_THREAT_NOUN}\b|"
    rf"\b({_ACCUSABLE_LIST})\s+(?:origins?|background|roots)\b|"  # "exploits of Chinese origin"
    rf"\b({_ACCUSABLE_STATE})[- ](?:linked|nexus|aligned|backed|sponsored|state[- ]sponsored|affiliated|"
    rf"connected|government[- ](?:backed|sponsored|affiliated))\b|"
    rf"\b({_STATE_LIST})(?:[- ](?:linked|nexus|aligned|backed|sponsored|state[- ]sponsored))?\s+"
    rf"(?:[\w\-]+\s+){{0,2}}?{_STRICT_NOUN}\b|\b({STATE})[- ](?:linked|nexus|aligned|backed|sponsored)\b|"
    # "Russia, which has been linked to ...", "Russia and China are suspected of responsibility".
    rf"\b({_ACCUSABLE_LIST}),?\s+(?:which\s+)?(?:is|are|was|were|has been|have been|had been)\s+"
    rf"(?:[\w\-]+\s+){{0,2}}?(?:suspected|believed|thought|considered|linked|blamed|responsible|behind|accused)\b")
# "blamed China", "attributed the attack to Russia", "actors from Iran and North Korea".
STATE_ACCUSED = re.compile(
    rf"\b(?:blam\w+|accus\w+|attribut\w+(?:\s+[\w\-]+){{0,5}}?\s+to|linked(?:\s+[\w\-]+){{0,5}}?\s+to|"
    rf"tied(?:\s+[\w\-]+){{0,5}}?\s+to|behind|(?:actors?|hackers|groups?|activity) from|"
    rf"on behalf of|working for|sponsored by|backed by|"
    rf"point\w*(?:\s+(?:the\s+)?fingers?)?\s+(?:to|towards|at)|(?:operat\w+|based) out of)\s+"
    rf"(?:the\s+)?({_STATE_LIST})(?![\w\-])(?!\s+(?:and|or)\b)")
STATE_IN_LIST = re.compile(STATE)
AGENCY = re.compile(rf"(?<![.\w\-])({_alternatives(STATE_AGENCIES)})\b(?![.\-]\w)")  # not "BKDR_RILER.SVR"
# Tracking names no taxonomy lists yet: "UNC5221", "UAT-6382", "Storm-2603", "CL-STA-0048".
TRACKING_NAME = re.compile(r"\b(?:UNC|UAT-|Storm-|DEV-|TA|UAC-|UTA|TAG-|CL-STA-|CL-CRI-|TGR-STA-|APT-C-|APT)\d{2,5}\b")
# A group the article introduces by a name: "a threat actor it calls Spiral", "a group tracked as Ember".
# Looked for where one of the naming verbs is (found by str.find): the name after it, the group word before.
NAMING_VERBS = (" calls ", " called ", " named ", " dubbed ", " tracks ", " tracked ", " known as ")
INTRODUCED_NAME = re.compile(
    r"\s+(?:(?:as|under)\s+)?(?:the\s+(?:moniker|name)\s+)?[\"“'‘]?([A-Z][\w\-]{2,}(?:\s+[A-Z][\w\-]+)?)")
INTRODUCING_GROUP = re.compile(
    r"\b(?:group|actor|APT|crew|gang|team|adversary|company|vendor)s?,?\s+(?:(?:that|which|whom)\s+)?"
    r"(?:(?:it|they|we|researchers|[A-Z][\w\-]+)\s+)?$")
# The same without its boundaries, to tell fast whether a text can hold one.
TRACKING_SCREEN = re.compile(r"(?:UNC|UAT-|Storm-|DEV-|TA|UAC-|UTA|TAG-|CL-STA-|CL-CRI-|TGR-STA-|APT-C-|APT)\d\d")

# Government bodies: name -> state ("" when the name alone does not say which).
GOVERNMENT_BODIES: dict[str, str] = {
    "FBI": "US", "CISA": "US", "NSA": "US", "DOJ": "US", "DoJ": "US", "Department of Justice": "US",
    "Justice Department": "US", "State Department": "US", "Department of State": "US", "Treasury": "US",
    "OFAC": "US", "DHS": "US", "Department of Homeland Security": "US", "White House": "US", "Pentagon": "US",
    "Department of Defense": "US", "DoD": "US", "DOD": "US", "Cyber Command": "US", "Secret Service": "US",
    "DC3": "US", "Defense Department": "US", "Department of War": "US",
    "Cybersecurity and Infrastructure Security Agency": "US",
    "National Security Agency": "US", "Federal Bureau of Investigation": "US", "U.S. government": "US",
    "US government": "US", "Congress": "US", "Senate": "US", "FCC": "US", "SEC": "US", "HHS": "US",
    "NCSC": "GB", "GCHQ": "GB", "National Crime Agency": "GB", "NCA": "GB", "Foreign Office": "GB",
    "UK government": "GB", "U.K. government": "GB", "British government": "GB", "Downing Street": "GB",
    "CCCS": "CA", "Canadian Centre for Cyber Security": "CA", "CSE": "CA",
    "Communications Security Establishment": "CA",
    "ASD": "AU", "ACSC": "AU", "Australian Signals Directorate": "AU", "GCSB": "NZ", "NCSC-NZ": "NZ",
    "BSI": "DE", "BfV": "DE", "Verfassungsschutz": "DE", "ANSSI": "FR", "AIVD": "NL", "MIVD": "NL",
    "CERT-UA": "UA", "SBU": "UA", "SSSCIP": "UA", "GUR": "UA", "HUR": "UA", "NIS": "KR", "National Police Agency": "JP",
    "NISC": "JP", "SUPO": "FI", "PST": "NO", "Europol": "", "Eurojust": "", "European Union": "", "EU": "",
    "NATO": "", "Council of the EU": "", "Interpol": "",
}
_GOVERNMENT_NOUN = (r"(?:government|authorities|officials|ministry|minister|ministry of \w+(?: affairs)?|"
                    r"(?:foreign|defen[cs]e|interior|justice|home|digital|economy|prime) minist(?:er|ry)|president|"
                    r"police|prosecutors|intelligence(?: services?| agency| agencies)?|agency|agencies|"
                    r"embassy|spokes(?:person|man|woman)|cabinet|parliament|military|army|armed forces|"
                    r"law enforcement|security service|cyber agency|cybersecurity agency|regulators?|"
                    r"(?:computer )?emergency response team|CERT|court|judge|department)")
# "Japan's defence minister", "Chinese foreign ministry", "authorities in the U.S., Canada, and Australia".
COUNTRY_GOVERNMENT = re.compile(
    rf"\b((?:the\s+)?(?:{_STATE_LIST}|Japan|Japanese|UK|U\.K\.|British|Britain|German|Germany|Dutch|Netherlands|"
    rf"Australian|Australia|Canadian|Canada|Czech|Polish|Poland|Italian|Italy|Spanish|Spain|Taiwanese|Taiwan|"
    rf"Singapore|Norwegian|Norway|Swedish|Sweden|Danish|Denmark|Finnish|Finland|Estonian|Lithuanian|Latvian|"
    rf"Romanian|Moldovan|Albanian|Belgian|Swiss|New Zealand|South Korea|Philippine|Philippines|Indonesian|"
    rf"Malaysian|Thai|European)(?:['’]s)?\s+(?:[A-Z][\w\-]*\s+){{0,2}}(?i:{_GOVERNMENT_NOUN}))\b|"
    rf"\b(?i:authorities|officials|governments|agencies|police|prosecutors)\s+(?:in|of|from)\s+"
    rf"(?:the\s+)?((?:{_STATE_LIST}|Japan|UK|U\.K\.|Britain|Germany|Netherlands|Australia|Canada|Poland|Italy|"
    rf"Taiwan|Singapore|New Zealand|South Korea|Czech Republic)"
    rf"(?:(?:\s*,\s*|,?\s+and\s+)(?:the\s+)?(?:{STATE}|Japan|UK|U\.K\.|Britain|Germany|Netherlands|Australia|"
    rf"Canada|New Zealand|South Korea|Taiwan|Poland))*)")
EXTRA_COUNTRIES: dict[str, str] = {
    "Japan": "JP", "Japanese": "JP", "UK": "GB", "U.K.": "GB", "British": "GB", "Britain": "GB", "German": "DE",
    "Germany": "DE", "Dutch": "NL", "Netherlands": "NL", "Australian": "AU", "Australia": "AU", "Canadian": "CA",
    "Canada": "CA", "Czech": "CZ", "Czech Republic": "CZ", "Polish": "PL", "Poland": "PL", "Italian": "IT",
    "Italy": "IT", "Spanish": "ES", "Spain": "ES", "Taiwanese": "TW", "Taiwan": "TW", "Singapore": "SG",
    "Norwegian": "NO", "Norway": "NO", "Swedish": "SE", "Sweden": "SE", "Danish": "DK", "Denmark": "DK",
    "Finnish": "FI", "Finland": "FI", "Estonian": "EE", "Lithuanian": "LT", "Latvian": "LV", "Romanian": "RO",
    "Moldovan": "MD", "Albanian": "AL", "Belgian": "BE", "Swiss": "CH", "New Zealand": "NZ", "South Korea": "KR",
    "Philippine": "PH", "Philippines": "PH", "Indonesian": "ID", "Malaysian": "MY", "Thai": "TH", "European": "",
}
COUNTRY_WORD = re.compile(rf"{STATE}|\b(?:{_alternatives(EXTRA_COUNTRIES)})\b")

MORE_VENDORS = (
    "EclecticIQ", "Hunt.io", "Doctor Web", "NVISO", "Eye Security", "Cisco", "Check Point Research", "Mandiant",
    "Google Threat Intelligence Group", "GTIG", "Google Mandiant", "Arctic Wolf", "Huntress", "Seqrite", "Cyble",
    "QiAnXin", "Qihoo 360", "ThreatBook", "Zscaler ThreatLabz", "ThreatLabz", "Harfang Lab", "HarfangLab", "Intezer",
    "StrikeReady", "Genians", "AhnLab", "ASEC", "Aqua Security", "Akamai", "Cloudflare", "Netskope", "Elastic",
    "Elastic Security Labs", "Datadog", "Wiz", "Sysdig", "Red Canary", "Binary Defense", "Morphisec", "Deep Instinct",
    "Forescout", "Claroty", "Nozomi Networks", "Team Cymru", "Lumen", "Black Lotus Labs", "Silent Push", "DomainTools",
    "Validin", "Censys", "Shadowserver", "GreyNoise", "Hudson Rock", "Resecurity", "Cyfirma", "CYFIRMA", "S2W",
    "Kaspersky GReAT", "Microsoft Threat Intelligence", "Unit 42", "Palo Alto Networks Unit 42", "FortiGuard Labs",
    "Fortinet FortiGuard Labs", "Trend Micro", "Trustwave", "SpiderLabs", "Darktrace", "Volexity", "Securonix",
    "Knownsec", "Antiy", "NSFOCUS", "Positive Technologies", "PT ESC", "BI.ZONE", "F6", "Solar", "Dr.Web",
    "Cado Security", "Lab52", "Meta", "OpenAI", "Anthropic", "Apple", "Okta", "SonicWall", "Ivanti", "Citrix",
    "CloudSEK", "Rapid7", "Tenable", "Qualys", "ReliaQuest", "Expel", "Blackberry", "BlackBerry", "Cybereason",
    "LevelBlue", "Trustwave SpiderLabs", "Symantec Threat Hunter Team", "Kaspersky ICS CERT",
    "Recorded Future's Insikt Group",
    "ESET Research", "Sekoia.io", "Zimperium", "Lookout", "iVerify", "Jamf", "Proofpoint", "Sophos", "Splunk",
    "G Data", "Kaspersky Lab", "Kaspersky Labs", "Amazon", "AWS", "Amazon Web Services", "Trellix", "Bitdefender",
    "Positive Technologies", "Hunt & Hackett", "Cisco Talos", "Talos", "SentinelLabs", "Insikt Group", "Mandiant",
    "FireEye", "ClearSky", "Comae Technologies", "Invincea", "CrowdStrike", "Dell SecureWorks", "iSight Partners",
    "Cylance", "Carbon Black", "McAfee", "F-Secure", "Avast", "Malwarebytes", "Tencent", "Fox-IT", "NCC Group",
    "Kaspersky Lab's Global Research and Analysis Team", "Check Point Software", "Qualys", "Crowdstrike",
)
# One claimant under its several names: "Cisco Talos" and "Cisco", "GTIG" and "Google".
CLAIMANT_KEYS: dict[str, str] = {
    "talos": "cisco", "cisco talos": "cisco", "gtig": "google", "mandiant": "google", "google mandiant": "google",
    "google threat intelligence group": "google", "google threat intelligence": "google", "sentinellabs": "sentinelone",
    "unit 42": "palo alto networks", "palo alto networks unit 42": "palo alto networks",
    "insikt group": "recorded future",
    "recorded future's insikt group": "recorded future", "threatlabz": "zscaler", "zscaler threatlabz": "zscaler",
    "fortiguard labs": "fortinet", "fortinet fortiguard labs": "fortinet", "asec": "ahnlab",
    "kaspersky lab": "kaspersky",
    "kaspersky labs": "kaspersky", "kaspersky great": "kaspersky", "microsoft threat intelligence": "microsoft",
    "eset research": "eset", "check point research": "check point", "aws": "amazon", "amazon web services": "amazon",
    "symantec threat hunter team": "symantec", "broadcom": "symantec", "doj": "justice",
    "department of justice": "justice",
    "justice department": "justice", "dhs": "homeland", "department of homeland security": "homeland",
    "state department": "state", "department of state": "state", "dod": "defense", "department of defense": "defense",
    "defense department": "defense", "pentagon": "defense", "department of war": "defense",
    "national security agency": "nsa", "federal bureau of investigation": "fbi",
    "cybersecurity and infrastructure security agency": "cisa", "treasury": "ofac",
    "national cyber security centre": "ncsc", "sekoia.io": "sekoia",
}
# "the German security company G Data", "cybersecurity firm Eye Security": a vendor the list does not know.
VENDOR_APPOSITIVE = re.compile(
    r"\b(?:cyber)?security (?:company|firm|vendor|provider|outfit|researchers at)\s+"
    r"((?:[A-Z][\w.\-]*)(?:\s+[A-Z][\w.\-]*){0,2})")
VENDOR_NAMES = tuple(dict.fromkeys([*VENDORS, *MORE_VENDORS]))
OUTLETS = (
    "Reuters", "Bloomberg", "NBC", "NBC News", "CNN", "The Washington Post", "Washington Post", "The New York Times",
    "New York Times", "The Wall Street Journal", "Wall Street Journal", "WSJ", "The Record", "Associated Press",
    "The Associated Press", "AP", "Der Spiegel", "Nikkei", "Yomiuri", "Financial Times", "The Guardian", "BBC",
    "Politico", "Motherboard", "TechCrunch", "Wired", "CyberScoop", "Axios", "The Register", "SecurityWeek",
    "Dark Reading", "CBS News", "ABC News", "Fox News", "Le Monde", "Süddeutsche Zeitung", "NHK", "Kyodo",
    "Yonhap", "The Washington Free Beacon", "Washington Free Beacon", "Semafor", "The Information",
    "Recorded Future News",
)
# Anonymous officials and sources, with the country they serve when the sentence says ("UK
# officials condemned" names no one but speaks for a government: COUNTRY_GOVERNMENT).
UNNAMED = re.compile(
    r"\b(?:(?:an?|one) (?:[\w.\-]+ ){0,4}?official\b(?!s)|"
    r"(?:unnamed|anonymous|former|current|senior|two|three|several|some)\s+(?:[\w.\-]+\s+){0,2}"
    r"(?:officials?|sources?|people)|(?:sources?|people|persons?|officials?|a person)\s+(?:familiar|close|"
    r"briefed|with knowledge)|according to (?:[\w\-]+ ){0,4}(?:people|sources|officials)|"
    r"on (?:the )?condition of anonymity)\b",
    re.IGNORECASE)

# How firmly. Order of precedence in reader.py: denial, refusal, doubt, hedge, then firm.
DENIES = re.compile(
    r"\b(?:den(?:y|ies|ied)|denial|reject\w*|dismiss\w*|refut\w*|baseless|unfounded|groundless|slander\w*|smear\w*|"
    r"fabricat\w+|Russophobia|no (?:evidence|indication|sign) (?:of|that)[^.]{0,60}(?:compromis|breach|access|"
    r"exfiltrat|affected|impact)\w*|(?:was|were|had) not (?:been )?(?:compromised|breached|affected|hacked)|"
    r"no compromise|not (?:been )?impacted|"
    r"(?:was|were)(?: not|n['’]t) (?:any )?(?:[\w\-]+ )?(?:breach|compromise|intrusion)|"
    r"none of [^.]{0,40}\b(?:were|was|had been|have been) (?:affected|compromised|impacted|breached|accessed))\b",
    re.IGNORECASE)
DECLINES = re.compile(
    r"\b(?:declin\w+ to (?:comment|confirm|name|say|attribute|identify|discuss|provide|share|disclose|elaborate|"
    r"specify)|(?:did|does|do|would|could|has|have)(?: not|n['’]t) (?:yet )?(?:\w+ )?(?:comment|confirm|attribute|"
    r"name|identify|respond|reply|disclose|say who|link|publicly attribute)|"
    r"(?:not|n['’]t) (?:yet )?(?:make|made|making) (?:any |an )?attributions?|"
    r"(?:not|n['’]t) (?:yet |so far |publicly |officially |formally )*(?:attributed|attribute (?:it|the|this|them)|"
    r"identif(?:y|ied) (?:which|who|the (?:group|actor|country|culprit|perpetrators?)))|"
    r"not (?:immediately )?(?:available|reachable) for comment|no comment|unable to (?:confirm|provide|say|"
    r"attribute|share)|(?:has|have|had) not (?:yet )?been attributed|not attributed|no attribution|"
    r"(?:without|no) (?:attributing|attributions?)|refrained from attribut\w+|not (?:yet )?known who|"
    r"it is (?:not|un)clear who|unknown (?:who|which))\b", re.IGNORECASE)
DISPUTES = re.compile(
    r"\b(?:disput\w+|(?<!little )(?<!no )doubts?|doubted|skeptic\w*|sceptic\w*|questioned|cast doubt|"
    r"not convinced|contradict\w*|"
    r"(?:lack|absence) of (?:conclusive |hard |any )?evidence)\b", re.IGNORECASE)
SUSPECTS = re.compile(
    r"\b(?:likely|believed|believes?|suspect\w*|possibl[ey]|potentially|probabl[ey]|perhaps|appears? to|"
    r"appeared to|seem\w* to|thought to|assess\w*|alleged\w*|overlaps?|overlapping|similarit\w+|"
    r"resembl\w+|hallmarks?|consistent with|(?:medium|moderate|low)(?:-to-\w+)?[- ](?:level of )?confidence|"
    r"hypothesi\w+|match(?:es|ed)? (?:the|a) (?:playbook|profile)|signs (?:that|of)|(?:nexus|attribution) indicators|"
    r"considered (?:to be )?(?:responsible|behind)|rumou?r\w*|allegations?|"
    r"point(?:s|ed)? to|fingerprints|(?<![\w\-])(?<!formally )(?<!officially )(?<!publicly )(?<!jointly )"
    r"(?:linked|tied|connected|links?|ties)(?= (?:[\w\-]+ ){0,6}?"
    r"(?:to|with)\b))",
    re.IGNORECASE)
CONFIRMS = re.compile(
    r"\b(?:confirm(?:s|ed|ing)?|acknowledg\w*|(?:said|says|disclosed|revealed|stated|announced|reported|notified)\s+"
    r"(?:that\s+)?(?:it|its|they|their|the company|the agency)\b[^.]{0,40}\b(?:breach\w*|hack\w*|compromis\w*|"
    r"attack\w*|incident|intrusion|unauthori[sz]ed)|aware of (?:[\w\-]+ ){0,5}(?:attack|exploit|breach|attempt)\w*|"
    r"(?:actively |been )?exploited in the wild|actively exploited|exploited as (?:a )?zero[- ]days?|"
    r"(?:disclosed|announced|reported|revealed|suffered|detected|admitted|admitting) (?:that )?(?:a|an|the) "
    r"(?:[\w\-]+ ){0,2}(?:breach|intrusion|incident|cyberattack|attack|compromise|hack)|"
    r"(?:detected|spotted|observed) (?:[\w\-]+ ){0,4}(?:attack|exploitation|intrusion|breach)\w*|"
    # "said that MeDoc was breached", "noting that the two issues had been exploited"
    r"(?:said|says|saying|noting|noted|stating|stated|admitt\w+|told|added)\b[^.]{0,80}?\b"
    r"(?:was|were|had been|has been|have been) (?:[\w\-]+ )?(?:breached|hacked|compromised|exploited|infected))\b",
    re.IGNORECASE)
HIGH_CONFIDENCE = re.compile(r"\bhigh(?:\s+|-)confidence\b|\bconfidently\b", re.IGNORECASE)
INCIDENT = re.compile(
    r"\b(?:breach\w*|hack\w*|attack\w*|intrusion\w*|compromis\w*|incident|exploit\w*|unauthori[sz]ed|"
    r"espionage|campaign|activity|malware|leak\w*|stolen|exfiltrat\w*|access)\b", re.IGNORECASE)
SPOKESPERSON = re.compile(
    r"\b((?:[A-Z][\w&.\-]*\s+){0,4}?(?:spokes(?:person|man|woman)|representative|statement))\b")
ORGANISATION_SPEAKS = re.compile(
    r"(?:^|[,;:]\s+|\bthat\s+|\bwhen\s+)((?:[A-Z][\w&.\-’']*\s+){0,3}[A-Z][\w&.\-]*)\s+"
    r"(?:(?:also|later|first|has|have|had|previously|quickly|publicly|itself|then)\s+)*"
    r"(?:said|says|confirmed|acknowledged|disclosed|stated|told|announced|notified|revealed|warned|reported|"
    r"denied|declined|investigated|detected|discovered|did not|has not|was not|is not|added)\b")
# A sentence that carries on the last quoted vendor or government: its quotes, "the company
# said", "the activity is attributed to", "the advisory says".
CARRIES = re.compile(
    r"^[\"“]|[\"“”]\s*$|\b(?:attributed to|assessed|the (?:report|advisory|company|researchers|firm|agency|analysts)|"
    r"the (?:cyber)?security (?:firm|company|vendor)|"
    r"(?:it|they|we|researchers) (?:said|says|added|noted|explained|wrote|assess|believe|track|observed)|"
    r"(?:said|says|added|noted) (?:the )?(?:researchers|company|firm|agency|report))\b", re.IGNORECASE)
# The verb a speaker is the subject of, close after its name.
SPEAKER_VERB = re.compile(
    r"(?:['’]s)?[^.;:\"“]{0,45}?\b(?:said|says|say|told|stated|confirm\w*|attribut\w+|link\w*|tied|blam\w+|accus\w+|"
    r"warn\w*|announc\w+|reveal\w*|report\w*|assess\w*|believ\w+|conclud\w+|track\w*|observ\w+|identif\w+|"
    r"discover\w*|detect\w*|publish\w*|disclos\w+|not\w*|added|charg\w+|indict\w*|sanction\w*|expos\w+|"
    r"uncover\w*|found|finds|spotted|deni\w+|denies|reject\w*|declin\w+|dismiss\w*|caution\w*|advis\w+|"
    r"urg\w+|flag\w*|highlight\w*|suspect\w*|describ\w+|connect\w+|offer\w*|seek\w*|asked|did not|has not|"
    r"was not|is not|would not|could not|says|claim\w*|explain\w*|wrote|writes|shared|issued|alleg\w+|disput\w+|"
    r"doubt\w*|question\w*|underlin\w+|shows|notes|states|stresses|argues|thinks|considers)\b")
SPEAKER_BEFORE = re.compile(r"(?:according to|by|said|says|per|from|at)\s+(?:the\s+)?(?:[\w\-]+\s+){0,3}$",
                            re.IGNORECASE)
# Where the sentence splitter cuts wrongly: after initials ("U.S.", "R.") and titles ("Inc.", "Dr.").
ABBREVIATIONS = frozenset("Inc Corp Ltd Co Dr Mr Mrs Ms Gen Sen Rep St Jr Sr vs No Gov Lt Col Capt Prof".split())


def cut_after_abbreviation(sentence: str) -> bool:
    """Whether a sentence ends in initials or a title rather than at its end (no regex: every sentence asks)."""
    if len(sentence) < 2 or sentence[-1] != ".":
        return False
    if sentence[-2].isupper():  # "the U.S.", "researcher R."
        return len(sentence) == 2 or not sentence[-3].isalpha()
    return sentence[max(0, sentence.rfind(" ") + 1):-1] in ABBREVIATIONS


# A capitalised word right after a vendor's name that makes it a product ("Microsoft Hyper-V"), unless
# it names a part of the company or a person's title ("Microsoft Threat Intelligence", "Cisco CEO").
PRODUCT_AFTER = re.compile(
    r"\s+(?!(?:Threat|Security|Research|Researchers?|Labs?|Team|Intelligence|Incident|Response|Global|Digital|"
    r"President|CEO|CTO|CISO|Chief|Vice|General|Director|Head|Senior|Principal|Spokes\w*|Corp|Inc|Ltd|"
    r"On|In|On|And|But|Or|The|This|That|Said|Says)\b)[A-Z][\w\-]*")
# Who is spoken to, not who speaks: "confirmed the breach to NBC", "told Reuters", "contacted by".
RECIPIENT = re.compile(r"\b(?:(?<!according )(?<!due )(?<!thanks )to|told|tells|telling|contacted by|asked by|"
                       r"reached by)\s+(?:the\s+)?$", re.IGNORECASE)
# Academics and independent researchers, apart from the vendors.
RESEARCHERS = re.compile(
    r"\b(?i:independent|academic|university|outside|other|some) (?:security )?researchers?\b|"
    r"\bresearchers? (?:at|from) (?:the )?University of [A-Z]\w+|\bacademics\b")
# Experts and rumours nobody names.
OTHER_SOURCES = re.compile(r"\b(?:according to (?:some |several |security )?(?:experts|rumou?rs|analysts)|"
                           r"(?:some |several |security )?experts (?:say|said|believe|think|suspect))\b", re.IGNORECASE)
# "..., but found evidence that links it to APT28": a refusal the sentence takes back.
TAKEN_BACK = re.compile(r"\bbut\b[^.]{0,80}\b(?:link\w*|attribut\w+|tie[sd]?|connect\w+|point\w* to)\b", re.IGNORECASE)
# Plain substrings, one of which is in every sentence that can name a culprit by state or
# agency: a sentence with none (and no actor's alias) is read only for a stance with no culprit.
STATE_LITERALS = tuple(dict.fromkeys([*STATE_WORDS, *STATE_AGENCIES]))
# Literals (folded) without one of which the pattern beside them cannot match: the pattern is
# then not run. Edit a pattern and its literals together (tests/unit/test_attribution_claims.py).
SCREENS: dict[str, tuple[str, ...]] = {
    "unnamed": ("official", " source", " people", "person", "anonym"),
    "suspects": ("likely", "believ", "suspect", "possib", "potential", "probab", "perhaps", "appear", "seem", "thought",
                 "assess", "alleged", "overlap", "similar", "resembl", "hallmark", "consistent with", "confidence",
                 "hypothes", "point", "fingerprint", "link", "tie", "connect", "indicators", "considered",
                 "rumo", "allegation", "signs", "playbook", "profile"),
    "high_confidence": ("confiden",),
    "accused": ("blam", "accus", "attribut", "linked", "tied", "behind", " from ", "on behalf of", "working for",
                "sponsored by", "backed by", "point", "out of"),
    "country_government": ("government", "authorit", "official", "minist", "president", "police", "prosecut",
                           "intelligence", "agenc", "embass", "spokes", "cabinet", "parliament", "military", "army",
                           "armed forces", "law enforcement", "security service", "regulator", "emergency response",
                           "cert", "court", "judge", "department"),
    "other": ("expert", "rumo"),
    "researchers": ("researcher", "academic"),
    "appositive": ("security ", "cybersecurity"),
    "denies": ("deni", "deny", "reject", "dismiss", "refut", "baseless", "unfounded", "groundless", "slander", "smear",
               "fabricat", "russophobia", "no evidence", "no indication", "no sign", "not ", "no compromise",
               "n't", "none of"),
    "declines": ("declin", "not ", "n't", "n’t", "no comment", "unable", "attribution", "attributing", "refrained",
                 "unknown", "unclear"),
    "disputes": ("disput", "doubt", "skeptic", "sceptic", "questioned", "convinced", "contradict", "lack of",
                 "absence of"),
    "confirms": ("confirm", "acknowledg", "aware of", "exploited", "detected", "spotted", "observed"),
    # The confirmation "said that it had been breached" needs one of each.
    "confirms_said": ("said", "says", "disclosed", "revealed", "stated", "announced", "reported", "notified",
                      "suffered", "admitted", "admitting", "saying", "noting", "noted", "stating", "told", "added"),
    "incident": ("breach", "hack", "compromis", "attack", "incident", "intrusion", "unauthori"),
}
# Each screen as the beginnings (three or four letters, as workers.phrases keys words) of its
# literals' longest words: a sentence passes when one of its words begins so. Looser than the literals (only
# a gate: the pattern behind it decides), and a set look-up on word keys already made.
_CONTRACTIONS = ("didn", "does", "wasn", "hasn", "have", "coul", "woul", "isn", "aren", "don", "won")


def _stems(words: tuple[str, ...]) -> frozenset[str]:
    stems: set[str] = set()
    for literal in words:
        if literal in ("n't", "n’t"):
            stems.update(_CONTRACTIONS)
            continue
        longest = max((re.sub(r"[^a-z0-9]", "", word.casefold()) for word in literal.split()), key=len)
        stems.add(longest[:4])
    return frozenset(stems)


SCREEN_STEMS: dict[str, frozenset[str]] = {name: _stems(words) for name, words in SCREENS.items()}

_FIRST_THREE, _FIRST_FOUR = itemgetter(slice(0, 3)), itemgetter(slice(0, 4))


@lru_cache(maxsize=8)
def _word_stems(sentence: str) -> frozenset[str]:
    """The first three and four letters of each word of a sentence (see SCREEN_STEMS)."""
    keys = word_keys(sentence)
    return frozenset(map(_FIRST_FOUR, keys)).union(map(_FIRST_THREE, keys))


def screened(sentence: str, screen: str) -> bool:
    return not SCREEN_STEMS[screen].isdisjoint(_word_stems(sentence))


STATE_LITERAL = re.compile(_alternatives(STATE_LITERALS))
# Words (as workers.phrases keys them: lower case, letters and digits) without one of which a
# sentence naming no culprit states no denial, refusal or confirmation: a set look-up on the
# sentence's word keys, which the entity stages have already made.
STANCE_WORDS = frozenset((
    "denied denies deny denial denying reject rejected rejects rejecting dismissed dismisses dismiss refuted refutes "
    "refute baseless unfounded groundless slander slanderous smear smears fabricated fabrication fabrications "
    "russophobia not didn doesn don wouldn couldn hasn haven wasn isn no declined declines decline declining unable "
    "attribution attributions attributing refrained unknown unclear confirmed confirms confirm confirming "
    "confirmation acknowledged acknowledges acknowledge acknowledging aware exploited detected spotted observed "
    "compromised impacted none").split())
SAID_WORDS = frozenset(("said says disclosed revealed stated announced reported notified suffered admitted admitting "
                        "saying noting noted stating told added").split())
INCIDENT_WORDS = frozenset((
    "breach breached breaches hack hacked hacking hackers hacker compromise compromised attack attacks attacked "
    "incident intrusion intrusions unauthorized unauthorised").split())
# Where COUNTRY_GOVERNMENT's second alternative ("authorities in ...") and UNNAMED can begin or
# be found near: the patterns are tried there only.
GOVERNMENT_PLURAL = re.compile(r"\b(?i:authorities|officials|governments|agencies|police|prosecutors)\b")
UNNAMED_ANCHOR = re.compile(r"official|source|people|person|anonymity")  # in casefolded text
# Every country word as a plain alternation (found fast; the patterns tried there check the boundary).
COUNTRY_LITERAL = re.compile(_alternatives({*STATE_WORDS, *EXTRA_COUNTRIES}))


def _folded(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """The case-insensitive pattern for casefolded text, matched case-sensitively: some
    twice as fast in the re module. (None of these patterns has an upper-case escape.)"""
    return re.compile(pattern.pattern.lower())


# The stance patterns are applied to the casefolded sentence.
DENIES, DECLINES, DISPUTES, CONFIRMS, INCIDENT, SUSPECTS, TAKEN_BACK, HIGH_CONFIDENCE = map(
    _folded, (DENIES, DECLINES, DISPUTES, CONFIRMS, INCIDENT, SUSPECTS, TAKEN_BACK, HIGH_CONFIDENCE))
# So is UNNAMED (the officials' words); the claimant's name is then read from the sentence.
UNNAMED = _folded(UNNAMED)
# The speaker's own systems: a vendor confirming or denying a breach of itself is its victim.
OWN = re.compile(r"\b(?:its|it had|it was|our|we|their own|the company['’]s|its own)\b", re.IGNORECASE)
