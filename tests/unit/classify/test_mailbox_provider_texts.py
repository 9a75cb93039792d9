"""Reply texts of mailbox and hosting providers beyond the big four (issue 12, seventh round),
each as the provider documents it or as a real capture quotes it, with its source.

Scored blind first with `logscan explain` (tests/data/SOURCES.md, "Collected for issue 12,
seventh round"); the category is the one a postmaster reads from the provider's own
explanation. ``provider`` is asserted only where the text names the provider; None means the
text alone does not name it (the remote host does, in a log).
"""

from __future__ import annotations

import pytest

from logscan.classify.classifier import Classifier
from parsers.postfix import PostfixParser
from tests.helpers.paths import DATA
from tests.helpers.reply_texts import ReplyText as Row
from tests.helpers.reply_texts import verdict_of

GODADDY = "godaddy.com/help 3568, quoted in sisimai lib/Sisimai/Rhost/GoDaddy.pm"
NETEASE = "NetEase reply-code table (退信代码), quoted in public code"
EARTHLINK_CODES = "postmaster-earthlink.vadesecure.com/inbound_error_codes (rebuilt)"
IONOS = "help.1and1.com / ionos.de SMTP error messages of the IONOS mail servers"

ROWS = [
    # T-Online: its own list, and its allow list for unknown IPs (NOWL)
    Row(
        "spamresource.com 2020/06",
        "554 IP=192.0.2.1 - A problem occurred. (Ask your postmaster for help or to contact "
        "tosa@rx.t-online.de to clarify.) (BL)",
        "blocklisted",
        "t-online",
    ),
    Row(
        "timmehosting.de T-Online guide",
        "554 IP=192.0.2.1 - None/bad reputation. Ask your postmaster for help or to contact "
        "<postmaster@rx.t-online.de> for reset. (NOWL)",
        "blocklisted",
        "t-online",
    ),
    Row(
        "help.creoline.com T-Online (DIAL)",
        "554: Dialup/transient IP not allowed. Use a mailgateway or contact toda@rx.t-online.de "
        "if obsolete. (DIAL)",
        "policy-rejected",
        "t-online",
    ),
    # GMX / web.de / 1&1 IONOS
    Row(
        "postmaster.gmx.com/en/error-messages",
        "554-gmx.net (mxgmx104) Nemesis ESMTP Service not available 554-No SMTP service "
        "554-IP address is block listed. 554 For explanation visit "
        "https://postmaster.gmx.net/en/case?c=r0201&i=ip&v=198.51.100.42&r=1MNcgj-1ue23t3pyV-00S2YR",
        "blocklisted",
        "gmx",
    ),
    Row(IONOS, "421 Reject due to policy violations", "rate-limited", None),
    Row(IONOS, "450 Reject due to policy violations.", "rate-limited", None),
    Row(IONOS, "421 Rate limit reached. Please try again later", "rate-limited", None),
    Row(IONOS, "451 Requested action aborted: local error in processing", "server-error", None),
    Row(IONOS, "550 Syntax error in parameters or arguments", "protocol", None),
    Row(
        "smtp.codes/unitedinternet",
        "550 <user@example.com>: Reject due to SPF policy. The originating IP of the message is "
        "not permitted by the domain owner",
        "sender-auth-failed",
        None,
    ),
    Row(
        "ionos.com error messages caused by undeliverable email",
        "550 <user@example.com>: Requested action not taken: mailbox unavailable",
        "mailbox-unknown",
        None,
    ),
    Row("ionos.com error messages", "550 Quota Exceeded", "mailbox-full", None),
    Row("ionos.com error messages", "550 Unknown User", "mailbox-unknown", None),
    # Interia, Seznam
    Row("pomoc.poczta.interia.pl", "550 5.1.1 Account not found", "mailbox-unknown", None),
    Row("pomoc.poczta.interia.pl", "550 5.2.1 Mailbox not available", "mailbox-disabled", None),
    Row(
        "pomoc.poczta.interia.pl",
        "550 5.7.1 Recipient doesn't want your mail",
        "policy-rejected",
        None,
    ),
    Row(
        "napoveda.seznam.cz/uzivatel-neexistuje",
        "550 5.1.1 szn; User hasn't got the service mapped",
        "mailbox-unknown",
        None,
    ),
    # Libero: a real deferral (postalserver/postal issue 83, 2017)
    Row(
        "github.com/postalserver/postal/issues/83",
        "421 smtp-28.iol.local smtp-28.iol.local No reverse DNS [smtp-28.iol.local; LIB_120]",
        "sender-auth-failed",
        None,
    ),
    # Yandex: a judged message, and a blocked source
    Row(
        "yandex.com/support/mail/bounces",
        "554 5.7.1 Message rejected under suspicion of SPAM; https://ya.cc/1IrBc "
        "1577446425-abcdEFGH12-ab12CDef",
        "spam-rejected",
        "yandex",
    ),
    Row(
        "yandex.com/support/mail/bounces; nwsmtp test",
        "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked by spam statistics - "
        "see http://feedback.yandex.ru/?from=mail-rejects&subject=192.0.2.1",
        "blocklisted",
        "yandex",
    ),
    Row(
        "public code quoting Yandex",
        "554 5.7.1 Blocked by spam statistics",
        "blocklisted",
        "yandex",
    ),
    # NetEase 163/126
    Row(NETEASE, "421 HL:REP", "rate-limited", "netease"),
    Row(NETEASE, "421 4.4.5 HL:ICC", "rate-limited", "netease"),
    Row(NETEASE, "421 4.5.0 HL:IFC", "rate-limited", "netease"),
    Row(NETEASE, "450 4.5.3 RP:DRC", "rate-limited", "netease"),
    Row(NETEASE, "451 MI:SFQ", "rate-limited", "netease"),
    Row(NETEASE, "451 RP:QRC", "rate-limited", "netease"),
    Row(NETEASE, "550 RP:TRC", "rate-limited", "netease"),
    # GoDaddy (secureserver.net)
    Row(
        GODADDY, "535 Authentication not allowed on IBSMTP Servers. IB401", "auth-failed", "godaddy"
    ),
    Row(
        GODADDY,
        "550 jane@coolexample.com Blank From: addresses are not allowed. Provide a valid From. "
        "IB501",
        "bad-address",
        "godaddy",
    ),
    Row(
        GODADDY,
        "550 jane@coolexample.com IP addresses are not allowed as a From: Address. Provide a "
        "valid From. IB502",
        "bad-address",
        "godaddy",
    ),
    Row(
        GODADDY,
        "550 coolexample.com From: Domain is invalid. Provide a valid From: IB506",
        "bad-domain",
        "godaddy",
    ),
    Row(
        GODADDY,
        "550 jane@coolexample.com Invalid SPF record. Inspect your SPF settings, and try again. "
        "IB508",
        "sender-auth-failed",
        "godaddy",
    ),
    Row(
        GODADDY,
        "421 Temporarily rejected. Reverse DNS for this IP failed. IB108",
        "sender-auth-failed",
        "godaddy",
    ),
    Row(
        GODADDY,
        "552 This message has been rejected due to content judged to be spam by the internet "
        "community. IB212",
        "spam-rejected",
        "godaddy",
    ),
    Row(GODADDY, "552 Virus infected message rejected. IB705", "spam-rejected", "godaddy"),
    Row(
        GODADDY,
        "452 This message contains too many recipients. Reduce the number of recipients and "
        "retry. IB605",
        "rate-limited",
        "godaddy",
    ),
    Row(
        GODADDY,
        "421 Connection refused, too many sessions from This IP. Lower the number of concurrent "
        "sessions. IB007",
        "rate-limited",
        "godaddy",
    ),
    Row(
        GODADDY,
        "421 Server temporarily unavailable. Try again later. IB101",
        "service-unavailable",
        "godaddy",
    ),
    Row(
        GODADDY,
        "554 This IP has been temporarily blocked for attempting to send too many messages "
        "containing content judged to be spam by the Internet community. IB110",
        "blocklisted",
        "godaddy",
    ),
    Row(
        GODADDY,
        "554 This IP has been blocked for the day, for attempting to send too many messages "
        "containing content judged to be spam by the Internet community. IB111",
        "blocklisted",
        "godaddy",
    ),
    Row(
        GODADDY,
        "554 This IP has been temporarily blocked for attempting to mail too many invalid "
        "recipients. IB112",
        "blocklisted",
        "godaddy",
    ),
    Row(
        GODADDY,
        "554 This IP has been blocked for the day, for attempting to mail too many invalid "
        "recipients. IB113",
        "blocklisted",
        "godaddy",
    ),
    Row(
        GODADDY,
        "550 This IP has sent too many messages this hour. IB504",
        "rate-limited",
        "godaddy",
    ),
    Row(
        GODADDY,
        "550 This message has exceeded the max number of messages per session. Open a new "
        "session and try again. IB510",
        "rate-limited",
        "godaddy",
    ),
    Row(
        GODADDY,
        "550 This IP has sent too many to too many recipients this hour. IB607",
        "rate-limited",
        "godaddy",
    ),
    Row(
        GODADDY,
        "554 Connection refused. This IP has a poor reputation on Cloudmark Sender Intelligence "
        "(CSI). IB103",
        "blocklisted",
        "godaddy",
    ),
    Row(
        GODADDY,
        "554 Connection refused. This IP address is listed on the Spamhaus Block List (SBL). IB104",
        "blocklisted",
        "godaddy",
    ),
    Row(
        GODADDY,
        "554 Connection refused. This IP address is listed on the Exploits Block List (XBL). IB105",
        "blocklisted",
        "godaddy",
    ),
    Row(
        GODADDY,
        "554 Connection refused. This IP address is listed on the Policy Block List (PBL). IB106",
        "blocklisted",
        "godaddy",
    ),
    Row(GODADDY, "554 RBL Reject.", "blocklisted", None),
    # Telstra BigPond: the same spelled-out Spamhaus wording in its greeting
    Row(
        "crowdsupport.telstra.com.au why-is-my-email-being-blacklisted",
        "554 nschwcmgw08p BigPond Outbound [OB105. Connection refused. (192.0.2.1) is listed on "
        "the Exploits Block List (XBL). Please visit http://www.spamhaus.org/query/bl?ip=192.0.2.1 "
        "for more information.",
        "blocklisted",
        None,
    ),
    # Zoho
    Row(
        "smtp.codes/zoho", "541 5.4.1 Mail rejected by destination domain", "policy-rejected", None
    ),
    Row(
        "smtp.codes/zoho",
        "452 <user@zoho.com> Mailbox delivery restricted by policy error",
        "policy-rejected",
        None,
    ),
    Row("smtp.codes/zoho", "452 4.3.1 Temporary System Error", "server-error", None),
    Row(
        "smtp.codes/zoho",
        "550 5.7.1 Email rejected per DMARC policy for example.com",
        "sender-auth-failed",
        None,
    ),
    Row(
        "smtp.codes/zoho; zoho.com/zeptomail smtp-error-codes",
        "552 5.7.1 virus Win.Test.EICAR_HDB-1 detected by Zoho Mail",
        "spam-rejected",
        None,
    ),
    Row("help.zoho.com community", "554 5.1.8 Sender Address Blocked", "policy-rejected", None),
    # Rackspace (emailsrvr.com)
    Row(
        "docs.rackspace.com common-email-bounces",
        "450 4.7.1 Client host 192.0.2.1 has no PTR record (G1F)",
        "sender-auth-failed",
        None,
    ),
    Row(
        "smtp.codes/rackspace",
        "421 Too many concurrent connections from this client (G2)",
        "rate-limited",
        None,
    ),
    Row(
        "smtp.codes/rackspace",
        "450 4.2.1 <user@example.com>: Mailbox received too much email in a short period of "
        "time (G30)",
        "rate-limited",
        None,
    ),
    Row("smtp.codes/rackspace", "450 4.4.6 Routing loop detected (G16)", "routing", None),
    Row(
        "smtp.codes/rackspace",
        "450 4.4.0 <user@example.com> Temporary DMARC DNS lookup failure (G1E)",
        "dns-failure",
        None,
    ),
    Row(
        "smtp.codes/rackspace",
        "451 4.7.1 Received too many messages from a new or untrusted IP (G28)",
        "rate-limited",
        None,
    ),
    Row(
        "docs.rackspace.com common-email-bounces",
        "451 4.3.0 <mail.example.com[192.0.2.1]>: Client host rejected: Throttled - Too much "
        "spam from your mail server. Try again later.",
        "rate-limited",
        None,
    ),
    Row("helpingmerchants.com (Rackspace)", "554 5.7.1 ACL dns_rbl", "blocklisted", None),
    Row(
        "rackspace cloudmark reply (signatures.toml cloudmark-csi)",
        "554 5.7.1 ACL dns_rbl; Client host [192.0.2.1] blocked using "
        "sa-ip4tset.blagr.emailsrvr.com=127.26.0.2 Cloudmark CSI. Please visit "
        "<http://csi.cloudmark.com/reset-request> for more information on why this message "
        "could not be delivered",
        "blocklisted",
        "rackspace",
    ),
    # EarthLink
    Row(
        "jonjensen/nagios-plugins-misc (real Postfix line, 2018)",
        "550 IP 45.79.0.243 is blocked by EarthLink. Go to earthlink.net/block for details.",
        "blocklisted",
        "earthlink",
    ),
    Row(
        "rackaid.com; freebsd-doc 2009-10 autoreply",
        "550 Dynamic/zombied/spam IPs blocked. Write blockedbyearthlink@abuse.earthlink.net",
        "blocklisted",
        "earthlink",
    ),
    Row(EARTHLINK_CODES, "550 5.7.1 Connection refused ELNK_101", "blocklisted", "earthlink"),
    Row(EARTHLINK_CODES, "550 5.7.1 Sender blocked error ELNK_111", "blocklisted", "earthlink"),
    Row(
        EARTHLINK_CODES, "550 5.7.1 Connection refused ELNK_105", "sender-auth-failed", "earthlink"
    ),
    Row(EARTHLINK_CODES, "421 4.2.1 Connection deferred ELNK_110", "rate-limited", "earthlink"),
    Row(EARTHLINK_CODES, "421 4.2.1 Connection deferred ELNK_136", "rate-limited", "earthlink"),
    # SFR: two-hour blocks of the IP, by documented code
    Row("postmastery.com SFR_IN_XXX (rebuilt)", "450 4.7.1 SFR_IN_101", "rate-limited", "sfr"),
    Row("postmastery.com SFR_IN_XXX (rebuilt)", "450 4.7.1 SFR_IN_105", "rate-limited", "sfr"),
    # Aruba and konto.pl: sending limits behind a session id
    Row(
        "guide.arubabusiness.it errori comuni",
        "552 5.2.0 igxL1p00E1WDM2s01gxMXG spam detected",
        "spam-rejected",
        None,
    ),
    Row(
        "guide.arubabusiness.it errori comuni",
        "550 5.1.0 iemL1p01Z0hMcT901emQ77 policy violation",
        "rate-limited",
        None,
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.text[:60])
def test_provider_reply_text(clf: Classifier, row: Row) -> None:
    verdict = verdict_of(clf, row.text)
    assert (verdict.category, verdict.provider) == (row.category, row.provider), verdict.rule


def test_spelled_out_spamhaus_lists_keep_their_zone(clf: Classifier) -> None:
    names = {
        "Spamhaus Block List (SBL)": "sbl.spamhaus.org",
        "Exploits Block List (XBL)": "xbl.spamhaus.org",
        "Policy Block List (PBL)": "pbl.spamhaus.org",
    }
    for name, zone in names.items():
        text = f"Connection refused. This IP address is listed on the {name}. IB104"
        assert clf.classify("554", None, text).blocklist == zone


def test_a_5xx_policy_violation_of_ionos_stays_a_policy_refusal(clf: Classifier) -> None:
    # IONOS documents only 421/450 for this wording; a permanent one is not a deferral.
    assert clf.classify("554", None, "Reject due to policy violations").category == (
        "policy-rejected"
    )


def test_earthlink_real_postfix_line(clf: Classifier) -> None:
    path = DATA / "postfix" / "code-index-postfix-provider-lines-7.log"
    line = path.read_text(encoding="utf-8").splitlines()[1]
    [ev] = PostfixParser("maillog", year=2018).feed(line, 2) or []
    verdict = clf.classify_event(ev).verdict
    assert (ev.status, verdict.category, verdict.provider) == (
        "bounced",
        "blocklisted",
        "earthlink",
    )
