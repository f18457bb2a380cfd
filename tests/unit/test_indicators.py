"""Indicators of compromise in article text (workers/indicators/): refanging,
each kind, the warning lists, and the false positives news text produces."""

from __future__ import annotations

import pytest

from workers.indicators import CVE_PATTERN, Indicator, cve_ids, defang, extract_indicators, refang
from workers.indicators.fanging import refang_marked
from workers.indicators.warninglists import warning_lists


def found(text: str, outlet_domains: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(indicator.type, indicator.value) for indicator in extract_indicators(text, outlet_domains=outlet_domains)]


@pytest.mark.parametrize(("defanged", "plain"), [
    ("hxxp://evil[.]com/a.php", "http://evil.com/a.php"),
    ("hXXps[:]//cdn[.]evil[.]net", "https://cdn.evil.net"),
    ("hxxps[://]evil[.]org", "https://evil.org"),
    ("1.2.3[.]4", "1.2.3.4"),
    ("evil(.)com and evil{.}com and evil[dot]com", "evil.com and evil.com and evil.com"),
    ("evil [.] com", "evil.com"),
    ("bad[at]evil[.]ru, bad [at] evil.ru, bad[@]evil.ru", "bad@evil.ru, bad@evil.ru, bad@evil.ru"),
    ("7zip\\[.\\]com", "7zip.com"),  # markdown escapes its brackets
    ("fxp://files[.]evil[.]com", "ftp://files.evil.com"),
    ("nothing to see (at all) here.", "nothing to see (at all) here."),
])
def test_refang(defanged: str, plain: str) -> None:
    assert refang(defanged) == plain


def test_refanging_remembers_where() -> None:
    refanged = refang_marked("see evil[.]com and good.com")
    assert refanged.text == "see evil.com and good.com"
    assert refanged.defanged_between(4, 12) and not refanged.defanged_between(17, 25)


@pytest.mark.parametrize(("value", "kind", "shown"), [
    ("http://evil.com/a.php", "url", "hxxp://evil[.]com/a.php"),
    ("https://www.evil.co.uk/x.y", "url", "hxxps://www.evil.co[.]uk/x.y"),
    ("evil.com", "domain", "evil[.]com"),
    ("45.77.12.9", "ipv4", "45.77.12[.]9"),
    ("bad@evil.net", "email", "bad[@]evil[.]net"),
    ("2a03:2880::25de", "ipv6", "2a03:2880:[:]25de"),
    ("CVE-2024-3400", "cve", "CVE-2024-3400"),
])
def test_defang_makes_values_unclickable_and_refang_undoes_it(value: str, kind: str, shown: str) -> None:
    assert defang(value, kind) == shown
    assert refang(shown) == value or kind == "ipv6"


def test_each_kind_refanged_and_normalised_in_first_seen_order() -> None:
    text = ("The loader (SHA-256 9F86D081884C7D659A2FEAE0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08, "
            "MD5 5d41402abc4b2a76b9719d911017c592, SHA-1 a9993e364706816aba3e25717850c26c9cd0d89d) "
            "beacons to hxxps://Update-Check[.]EVIL.com/gate.php and the C2 server 45.77.12[.]9, "
            "and 2a03:2880:f12f:83:face:b00c:0:25de; it exploits cve-2024-3400. "
            "The phishing sender was ops[at]mail-evil[.]ru; ransom to bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq.")
    assert found(text) == [
        ("sha256", "9f86d081884c7d659a2feae0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
        ("md5", "5d41402abc4b2a76b9719d911017c592"),
        ("sha1", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("url", "https://update-check.evil.com/gate.php"),
        ("domain", "update-check.evil.com"),
        ("ipv4", "45.77.12.9"),
        ("ipv6", "2a03:2880:f12f:83:face:b00c:0:25de"),
        ("cve", "CVE-2024-3400"),
        ("email", "ops@mail-evil.ru"),
        ("btc", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
    ]


def test_duplicates_once() -> None:
    assert found("C2 evil[.]com, then evil[.]com again, and EVIL[.]COM.") == [("domain", "evil.com")]
    assert isinstance(extract_indicators("C2 evil[.]com")[0], Indicator)


def test_outlet_domain_and_its_subdomains_are_not_indicators() -> None:
    text = ("Read more at https://www.example-news.com/2025/x (phishing coverage), tips@example-news.com, "
            "images.example-news.com served the C2 domain evil[.]com.")
    assert found(text, ("www.example-news.com",)) == [("domain", "evil.com")]


def test_well_known_domains_and_their_links_are_not_indicators() -> None:
    text = ("The attackers' C2 server hosted payloads; Microsoft (microsoft.com), https://github.com/x/y, "
            "www.google.com, learn.microsoft.com and bit.ly were only cited.")
    assert found(text) == []


def test_hosting_platforms_do_not_vouch_for_their_customers() -> None:
    # 000webhostapp.com is a top site, and lots-project names it as abused hosting.
    assert found("The phishing domain evil-login.000webhostapp.com was hosted for free.") == [
        ("domain", "evil-login.000webhostapp.com")]


def test_a_defanged_link_on_a_well_known_host_is_kept_but_not_the_host() -> None:
    assert found("The payload was downloaded from hxxps://drive.google[.]com/file/d/abc") == [
        ("url", "https://drive.google.com/file/d/abc")]


@pytest.mark.parametrize("address", ["10.1.2.3", "172.16.5.4", "192.168.1.10",  # RFC 1918
                                     "192.0.2.5", "198.51.100.7", "203.0.113.9",  # documentation (RFC 5737)
                                     "2001:db8::1",  # documentation (RFC 3849)
                                     "127.0.0.1", "100.64.1.1", "fe80::1", "ff02::1", "8.8.8.8"])
def test_reserved_documentation_and_resolver_addresses_are_not_indicators(address: str) -> None:
    assert warning_lists().benign_address(address)
    assert found(f"The C2 server at {address} was contacted.") == []


def test_empty_file_and_test_file_hashes_are_not_indicators() -> None:
    text = ("Sample hashes: d41d8cd98f00b204e9800998ecf8427e (empty), 44d88612fea8a8f36de82e1278abb02f (EICAR), "
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.")
    assert found(text) == []


@pytest.mark.parametrize("text", [
    "Users should update Adobe Flash Player to version 32.0.0.101.",
    "Flash Player 12.0.0.44 and earlier are affected.",
    "The flaw affects releases 11.12.0.4, 12.3.0.1, 12.4.0.1, and 12.5.0.0.",
    "Builds 9.2.18.001 to 9.2.18.538 of the agent are vulnerable.",
    "It ran the latest firmware (10.2.1.15-81sv).",
    "Linux Kernel 2.6.32.62 is old.",
    "The standard's section 5.1.1.2 applies here.",
])
def test_version_numbers_are_not_addresses(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize("text", [
    "The archive report.pdf dropped setup.exe, install.sh, main.py and README.md on the C2 server.",
    "Experts cited SecurityWeek.Com and CERT.pl; the group also used Agent.Biz on C2 servers.",  # names, not values
    "The malware creates com.apple.service.clipboardd for persistence on C2 servers.",
    "Attackers use tools, e.g. scanners, i.e. nothing; U.S. officials said so.",
    "Read the vendor report at https://www.welivesecurity.com/2024/apt/ about the C2 servers.",
    "![Ad](https://ads.example-vendor.io/lp/guide?utm_source=news&utm_medium=display) about C2 servers.",
    "The attacker's server image https://cdn.unknown-images.net/pics/diagram.png shows the C2.",
    "Forward suspicious emails to spam@docusign.com or phishing@irs.gov, or security@evil-corp.com.",
])
def test_news_text_false_positives(text: str) -> None:
    assert found(text) == []


def test_plain_names_count_only_where_the_text_says_what_they_are() -> None:
    assert found("According to databreaches.net, the firm was breached.") == []
    assert found("The attackers registered lookalike domains onedrive-en-marche.fr and mail-en-marche.fr.") == [
        ("domain", "onedrive-en-marche.fr"), ("domain", "mail-en-marche.fr")]
    # An IOC list: a line holding the value alone.
    assert found("Indicators:\n\n* evil-update.net\n* 185.9.159.211\n") == [
        ("domain", "evil-update.net"), ("ipv4", "185.9.159.211")]


def test_defanged_names_are_always_meant_as_indicators() -> None:
    assert found("According to them, qorvex7[.]net is interesting (qorvex.vicp[.]net).") == [
        ("domain", "qorvex7.net"), ("domain", "qorvex.vicp.net")]
    assert found("Beacons went to _qorvex\\[.\\]pro_.") == [("domain", "qorvex.pro")]


def test_fingerprints_and_commits_are_not_file_hashes() -> None:
    assert found("The signing key has a fingerprint of 01EA5486DE18A882D4C2684590C8019E36C2E964.") == []


def test_cves_one_pattern_for_the_field_and_the_indicators() -> None:
    text = "Patch CVE-2024-3400 and cve-2023-12345, CVE\u20112021\u201144228 too; CVE-2024-3400 again."
    assert cve_ids(text) == ["CVE-2024-3400", "CVE-2023-12345", "CVE-2021-44228"]
    assert [value for kind, value in found(text) if kind == "cve"] == cve_ids(text)
    assert len(CVE_PATTERN.findall(text)) == 4


def test_text_without_candidates_costs_no_library_call() -> None:
    assert found("A plain sentence about espionage by a state, with no indicators at all.") == []
    assert found("") == []


# ---- news text: lists, and the words that say malicious, victim, service, example or file ----

@pytest.mark.parametrize("text", [
    "The brands:\n\n* qorvexproxy\\.com\n* lumtrixnet\\.io\n",  # Markdown-escaped dots
    "The brands:\n\n* qorvexproxy\\\\.com\n* lumtrixnet\\\\.io\n",  # escaped twice
    "The brands:\n\n1. qorvexproxy.com\n2. lumtrixnet.io\n",
    "The brands:\n\n1\\. qorvexproxy.com\n2\\. lumtrixnet.io\n",
    "| Brand | Domain |\n|---|---|\n| Qorvex | qorvexproxy.com |\n| Lumtrix | lumtrixnet.io |\n",
    "The brands:\n\n```\nqorvexproxy.com\nlumtrixnet.io\n```\n",
    "The brands:\n\n* **qorvexproxy.com**\n* `lumtrixnet.io`\n",
    "The brands:\n\n* Qorvex - qorvexproxy.com, a brand sold through resellers in Asia\n* Lumtrix - lumtrixnet.io\n",
    "Also run by the operator: qorvexproxy.com, lumtrixnet.io.",  # a labelled run
    "The operator also runs qorvexproxy.com, lumtrixnet.io and zarbelproxy.net.",
    "It runs the brands Qorvex (qorvexproxy.com), Lumtrix Net (lumtrixnet.io), Zarbel (zarbelproxy.net).",
])
def test_ioc_lists_count_without_context_words(text: str) -> None:
    # In an article about an attack (its other paragraph says so); the list's own lines name no context words.
    values = [value for _, value in found(f"Researchers tied the brands to the botnet's operator.\n\n{text}")]
    assert values[:2] == ["qorvexproxy.com", "lumtrixnet.io"]


def test_a_list_in_prose_needs_three_values() -> None:
    assert found("The operator also runs qorvexproxy.com and lumtrixnet.io.") == []


def test_a_line_of_prose_in_a_bullet_is_not_a_list_item() -> None:
    assert found("Findings:\n\n* Leaked logs name many qorvexproxy.com staff members in them\n") == []


def test_a_list_whose_heading_or_next_line_says_victims_is_not_indicators() -> None:
    assert found("Other targeted domains: qorvexproxy.com, lumtrixnet.io, zarbelproxy.net.") == []
    text = ("A list of the sites seen so far:\nhttps://www.qorvexforum.com/\nhttps://lumtrixboard.net/index.php\n"
            "The group is targeting regional forums with the same exploit.")
    assert found(text) == []


def test_strong_words_in_a_list_heading_decide() -> None:
    text = ("Indicators of compromise (the campaign targeted government websites):\n\n"
            "* qorvexproxy.com\n* lumtrixnet.io\n")
    assert found(text) == [("domain", "qorvexproxy.com"), ("domain", "lumtrixnet.io")]


@pytest.mark.parametrize("text", [
    "Every board the game maker ran was hacked, the intruder says, qorvexgames.com among them.",
    "The dump shows which mod-qorvex.kr email accounts the phishing reached.",
    "The skimmer looks up card issuers on binqorvex.net, a public web service, then mails them out.",
    "Anyone could buy domains such as qorvexbank-uk.org or qorvexbank.tech for a few pounds.",
    "The researchers showed that look-alike names like qorvexbank-login.com are available for registration.",
    "The attackers breached legitimate websites such as qorvexnews.com to reach readers.",
])
def test_victims_services_and_hypothetical_names_are_not_indicators(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(("text", "value"), [
    ("The C2 domain qorvexcdn.net sat on the hacked website of a bakery.", "qorvexcdn.net"),
    ("The attackers registered domains posing as legitimate services, such as qorvex-cloud.com.",
     "qorvex-cloud.com"),
    ("Stolen data went to the attacker-controlled server qorvexsync.org, set up on a legitimate hosting platform.",
     "qorvexsync.org"),
])
def test_strong_words_outweigh_victim_and_service_words(text: str, value: str) -> None:
    assert found(text) == [("domain", value)]


def test_names_after_a_file_noun_are_files() -> None:
    text = "Inside the malicious ZIP are the files 'qq.url', 'qq.website' and 'qq.link', each a fallback."
    assert found(text) == []
    # A site noun after the file noun makes it a site again; a URL is never a file name.
    assert found("The dropper file beacons to the domain qorvexcdn.link every hour.") == [
        ("domain", "qorvexcdn.link")]
    assert found("The malware loader fetches a second file from the server at https://qorvexcdn.net/x.bin.") == [
        ("url", "https://qorvexcdn.net/x.bin"), ("domain", "qorvexcdn.net")]


def test_a_defanged_ip_logger_is_kept_but_a_cited_one_is_not() -> None:
    # iplogger.org is on MISP's what-is-my-IP and shortener lists: a service attacks lean on.
    assert found("The collected details are then posted to _'iplogger\\[.\\]org'_.") == [
        ("domain", "iplogger.org")]
    assert found("Researchers checked the C2 server with iplogger.org.") == []
    assert found("The lure linked to bit[.]ly and www.google[.]com.") == []


# ---- plain IOC lists as HTML pages come out of extraction, and pages about no attack at all ----

@pytest.mark.parametrize("text", [
    # list items joined by spaces when an HTML list lost its line breaks
    "The malware campaign used these servers.\nqorvexnet.com lumtrixcdn.net pyranthos.org zelkavor.info\n",
    "Hackers behind the wave used qorvexnet.com lumtrixcdn.net pyranthos.org in the second stage.",
    "The phishing kit was hosted at qorvexnet.com and lumtrixcdn.net, researchers said.",
    "The malware operators registered several names: qorvexnet.com, lumtrixcdn.net.",
    # an IOC appendix: its heading, a sub-heading per type, one value per line (table cells come out so)
    "Indicators of compromise\nDomains\nqorvexnet.com\nlumtrixcdn.net\nIP addresses\n45.77.12.9\n",
    "Appendix: IOCs\nDomain\nFirst seen\nqorvexnet.com\n2023-04-01\nlumtrixcdn.net\n2023-04-02\n",
])
def test_plain_lists_as_extracted_from_html(text: str) -> None:
    values = [value for _, value in found(text)]
    assert values[:2] == ["qorvexnet.com", "lumtrixcdn.net"]


def test_addresses_with_ports_and_urls_without_scheme() -> None:
    assert found("The malware talks to 45.77.12.9:8443 and 45.77.12.10:443 over TLS.") == [
        ("ipv4", "45.77.12.9"), ("ipv4", "45.77.12.10")]
    assert found("The ransomware downloads its payload from qorvexnet.com/gate.php.") == [
        ("url", "qorvexnet.com/gate.php"), ("domain", "qorvexnet.com")]


@pytest.mark.parametrize("text", [
    "Our new bakery opened last week.\nwww.qorvexbakery.com\n",  # a page's own link under its text
    "CONTACT:\nJane Doe, +1-212-555-0100\njane.doe@qorvexmedia.com\nor\njohn.roe@qorvexmedia.com\n",
    "Write to your MP.\nAldershot\nJane Doe\njane.doe.mp@qorvexhouse.uk\n"
    "Amber Valley\nJohn Roe\njohn.roe.mp@qorvexhouse.uk\n",
    "References\nhttp://www.qorvexhealth.com/topic22.htm\nAltitude illness\nhttp://www.lumtrixtravel.com/page1.htm\n",
    "The re-branded company set up its own web site using the domain name qorvex-boards.org.",
])
def test_lists_and_sites_in_pages_about_no_attack_are_not_indicators(text: str) -> None:
    assert found(text) == []


def test_the_reporters_address_in_an_attack_article_is_not_an_indicator() -> None:
    text = ("Hackers stole the files, the ministry said.\n"
            "To contact the reporter on this story: Jane Doe in Seoul at jdoe@qorvexnews.net .")
    assert found(text) == []


def test_past_a_hundred_addresses_none_is_read_but_the_other_indicators_are() -> None:
    def page(count: int) -> str:
        senders = "\n".join(f"* sender{number}@mail-example.org" for number in range(count))
        return f"The phishing e-mails came from these attacker-controlled addresses:\n{senders}\n" \
               "The attackers' C2 server was at 45.77.203[.]18."

    assert len(extract_indicators(page(100))) == 101
    found = {(indicator.type, indicator.value) for indicator in extract_indicators(page(101))}
    assert found == {("ipv4", "45.77.203.18")}
