"""Reply texts of the mail server software our MTAs deliver to (issue 12, eighth round).

When our Postfix, Exim or Sendmail delivers to another server, its bounce or deferral quotes
that server's own words: qmail, Dovecot and Cyrus LMTP, Postfix and Exim as remotes, OpenSMTPD,
Domino, Courier, Exchange on-premises, Haraka, hMailServer. One row per text, taken from the
server's source or documentation (the source key says which), with the category a postmaster
reads from the server's own meaning. Scored blind first with `logscan explain`
(tests/data/SOURCES.md, "Collected for issue 12, eighth round").
"""

from __future__ import annotations

import pytest

from logscan.classify.classifier import Classifier
from tests.helpers.reply_texts import ReplyText as Row
from tests.helpers.reply_texts import verdict_of

QMAIL = (
    "qmail 1.03 / netqmail / notqmail source (qmail-smtpd.c, qmail-local.c, qmail-remote.c, "
    "vdelivermail), as quoted in sisimai lib/Sisimai/Lhost/qmail.pm"
)
DOVECOT = "dovecot/core src/lmtp and src/lda (quota_exceeded_message, ERRSTR_TEMP_MAILBOX_FAIL)"
CYRUS = "cyrusimap/cyrus-imapd imap/lmtpengine.c convert_lmtp()"
POSTFIX = "vdukhovni/postfix smtpd_check.c, smtpd.c, cleanup (default reply texts)"
EXIM = (
    "Exim src/src route.c, deliver.c, transports/appendfile.c, smtp_in.c, as quoted in sisimai "
    "lib/Sisimai/Lhost/Exim.pm"
)
OPENSMTPD = (
    "OpenSMTPD smtpd/mta.c, queue.c, smtp_session.c, as quoted in sisimai "
    "lib/Sisimai/Lhost/OpenSMTPD.pm"
)
DOMINO = "HCL Domino router failure reasons, as matched in sisimai lib/Sisimai/Lhost/Domino.pm"
COURIER = "Courier-MTA delivery texts, as matched in sisimai lib/Sisimai/Lhost/Courier.pm"
EXCHANGE = (
    "Exchange Server on-premises receive connector / NDR texts (learn.microsoft.com NDR reference)"
)
HARAKA = "haraka/Haraka connection.js rcpt_respond (550; 450 in older releases)"
HMAILSERVER = (
    "hMailServer SMTP server replies (SMTPConnection.cpp), as quoted in public forum threads"
)
RFC3463 = (
    "RFC 3463 X.7.1 default text, written as is by OpenSMTPD, Exchange transport rules and others"
)

AMAVIS = "amavisd-new's default reject reply per verdict (SPAM, INFECTED, BANNED)"
RSPAMD = "rspamd's default reject, greylist and ratelimit messages (rspamd.com documentation)"

ROWS = [
    Row(QMAIL, "Sorry, no mailbox here by that name. (#5.1.1)", "mailbox-unknown"),
    Row(
        QMAIL,
        "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
        "relay-denied",
    ),
    Row(
        QMAIL,
        "This message is looping: it already has my Delivered-To line. (#5.4.6)",
        "routing",
    ),
    Row(
        QMAIL,
        "Sorry. Although I'm listed as a best-preference MX or A for that host, it isn't in my "
        "control/locals file, so I don't treat it as local. (#5.4.6)",
        "routing",
    ),
    Row(
        QMAIL,
        "552 sorry, that message size exceeds my databytes limit (#5.3.4)",
        "message-too-large",
    ),
    Row(QMAIL, "451 qq temporary problem (#4.3.0)", "server-error"),
    Row(QMAIL, "554 too many hops, this message is looping (#5.4.6)", "routing"),
    Row(
        QMAIL,
        "553 sorry, your envelope sender is in my badmailfrom list (#5.7.1)",
        "policy-rejected",
    ),
    Row(QMAIL, "Sorry, I couldn't find any host named example.com. (#5.1.2)", "bad-domain"),
    Row(QMAIL, "Sorry, I couldn't find any host by that name. (#4.1.2)", "dns-failure"),
    Row(QMAIL, "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)", "network"),
    Row(QMAIL, "Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)", "bad-domain"),
    Row(QMAIL, "Unable to chdir to maildir. (#4.2.1)", "server-error"),
    Row(
        QMAIL,
        "Recipient's mailbox is full, message returned to sender. (#5.2.2)",
        "mailbox-full",
    ),
    Row(QMAIL, "disk quota exceeded (#4.2.2)", "mailbox-full"),
    Row(QMAIL, "451 DNS temporary failure (#4.3.0)", "dns-failure"),
    Row(
        QMAIL,
        "Sorry, no SMTP connection got far enough; most progress was RCPT TO. (#4.4.1)",
        "network",
    ),
    Row(
        QMAIL,
        "I'm not going to try again; this message has been in the queue too long.",
        "network",
    ),
    Row(
        DOVECOT,
        "552 5.2.2 <user@example.com> Quota exceeded (mailbox for user is full)",
        "mailbox-full",
    ),
    Row(
        DOVECOT,
        "550 5.1.1 <user@example.com> User doesn't exist: user@example.com",
        "mailbox-unknown",
    ),
    Row(DOVECOT, "451 4.3.0 <user@example.com> Temporary internal error", "server-error"),
    Row(
        DOVECOT,
        "451 4.3.0 <user@example.com> Invalid user settings. Refer to server log for more "
        "information.",
        "server-error",
    ),
    Row(DOVECOT, "452 4.2.2 <user@example.com> Mailbox is full", "mailbox-full"),
    Row(DOVECOT, "Not enough disk quota", "mailbox-full"),
    Row(
        CYRUS,
        "550-Mailbox unknown. Either there is no mailbox associated with this 550-name or you "
        "do not have authorization to see it. 550 5.1.1 User unknown",
        "mailbox-unknown",
    ),
    Row(CYRUS, "452 4.2.2 Over quota", "mailbox-full"),
    Row(CYRUS, "552 5.2.2 Over quota", "mailbox-full"),
    Row(CYRUS, "451 4.3.0 System I/O error", "server-error"),
    Row(CYRUS, "451 4.3.1 cannot create file: out of space", "server-error"),
    Row(CYRUS, "451 4.3.0 transient system error", "server-error"),
    Row(CYRUS, "550 5.7.1 Permission denied", "policy-rejected"),
    Row(CYRUS, "451 4.2.0 Mailbox has an invalid format", "server-error"),
    Row(CYRUS, "554 5.6.0 Message contains NUL characters", "protocol"),
    Row(CYRUS, "554 5.6.0 Message contains bare newlines", "protocol"),
    Row(CYRUS, "554 5.6.0 Message contains invalid header", "protocol"),
    Row(CYRUS, "550 5.1.1 Mailbox does not exist", "mailbox-unknown"),
    Row(
        POSTFIX,
        "550 5.1.1 <user@example.com>: Recipient address rejected: User unknown in local "
        "recipient table",
        "mailbox-unknown",
    ),
    Row(
        POSTFIX,
        "550 5.1.1 <user@example.com>: Recipient address rejected: User unknown in virtual "
        "mailbox table",
        "mailbox-unknown",
    ),
    Row(POSTFIX, "554 5.7.1 <user@example.com>: Relay access denied", "relay-denied"),
    Row(
        POSTFIX,
        "450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.1]",
        "sender-auth-failed",
    ),
    Row(POSTFIX, "452 4.3.1 Insufficient system storage", "server-error"),
    Row(POSTFIX, "552 5.3.4 Message size exceeds fixed limit", "message-too-large"),
    Row(POSTFIX, "451 4.3.0 <user@example.com>: Temporary lookup failure", "server-error"),
    Row(POSTFIX, "421 4.7.0 mx.example.com Error: too many errors", "protocol"),
    Row(
        POSTFIX,
        "504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname",
        "policy-rejected",
    ),
    Row(
        POSTFIX,
        "450 4.1.8 <sender@example.net>: Sender address rejected: Domain not found",
        "bad-domain",
    ),
    Row(POSTFIX, "mail for example.com loops back to myself", "routing"),
    Row(
        POSTFIX,
        "550 5.7.1 <user@example.com>: Recipient address rejected: Access denied",
        "policy-rejected",
    ),
    Row(POSTFIX, "452 4.5.3 Error: too many recipients", "rate-limited"),
    Row(
        POSTFIX,
        "421 4.7.0 mx.example.com Error: too many connections from 192.0.2.1",
        "rate-limited",
    ),
    Row(EXIM, "550 Unrouteable address", "routing"),
    Row(EXIM, "550 relay not permitted", "relay-denied"),
    Row(EXIM, "550 Administrative prohibition", "policy-rejected"),
    Row(EXIM, "451 Temporary local problem - please try later", "server-error"),
    Row(
        EXIM,
        "mailbox is full (MTA-imposed quota exceeded while writing to /var/mail/user)",
        "mailbox-full",
    ),
    Row(EXIM, "all relevant MX records point to non-existent hosts", "bad-domain"),
    Row(EXIM, "all host address lookups failed permanently", "bad-domain"),
    Row(EXIM, "an MX or SRV record indicated no SMTP service", "bad-domain"),
    Row(EXIM, 'Too many "Received" headers - suspected mail loop', "routing"),
    Row(
        EXIM,
        "421 Too many concurrent SMTP connections from this IP address; please try again later.",
        "rate-limited",
    ),
    Row(EXIM, "552 Message size exceeds maximum permitted", "message-too-large"),
    Row(EXIM, "retry time not reached for any host after a long failure period", "network"),
    Row(EXIM, "550 Sender verify failed", "policy-rejected"),
    Row(OPENSMTPD, "Envelope expired", "network"),
    Row(OPENSMTPD, "Invalid domain name", "bad-domain"),
    Row(OPENSMTPD, "Domain does not exist", "bad-domain"),
    Row(OPENSMTPD, "No MX found for domain", "bad-domain"),
    Row(OPENSMTPD, "Temporary failure in MX lookup", "dns-failure"),
    Row(OPENSMTPD, "550 Invalid recipient: <user@example.com>", "mailbox-unknown"),
    Row(
        DOMINO,
        "User user@example.com (user@example.com) not listed in Domino Directory",
        "mailbox-unknown",
    ),
    Row(DOMINO, "Router: Cannot route mail to user (user@example.com)", "routing"),
    Row(DOMINO, "Several matches found in Domino Directory", "server-error"),
    Row(DOMINO, "User's mailbox is full", "mailbox-full"),
    Row(COURIER, "No such domain.", "bad-domain"),
    Row(COURIER, "DNS lookup failed.", "dns-failure"),
    Row(COURIER, "This domain's DNS violates RFC 1035.", "dns-failure"),
    Row(
        EXCHANGE,
        "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain",
        "relay-denied",
    ),
    Row(EXCHANGE, "452 4.3.1 Insufficient system resources", "server-error"),
    Row(
        EXCHANGE,
        "530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM",
        "auth-required",
    ),
    Row(EXCHANGE, "550 5.7.1 Unable to relay", "relay-denied"),
    Row(
        EXCHANGE,
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
        "mailbox-unknown",
    ),
    Row(EXCHANGE, "554 5.4.14 Hop count exceeded - possible mail loop ATTR34", "routing"),
    Row(
        EXCHANGE,
        "451 4.7.0 Temporary server error. Please try again later. PRX2",
        "server-error",
    ),
    Row(
        EXCHANGE,
        "550 5.7.1 Client does not have permissions to send as this sender",
        "policy-rejected",
    ),
    Row(EXCHANGE, "421 4.4.2 Connection dropped due to SocketError", "network"),
    Row(EXCHANGE, "550 5.1.1 User unknown", "mailbox-unknown"),
    Row(HARAKA, "550 I cannot deliver mail for <user@example.com>", "relay-denied"),
    Row(HARAKA, "450 I cannot deliver mail for <user@example.com>", "relay-denied"),
    Row(HMAILSERVER, "550 Unknown user", "mailbox-unknown"),
    Row(HMAILSERVER, "530 SMTP authentication is required.", "auth-required"),
    Row(HMAILSERVER, "550 Delivery is not allowed to this address.", "relay-denied"),
    Row(HMAILSERVER, "421 Too many invalid commands", "protocol"),
    Row(RFC3463, "550 5.7.1 Delivery not authorized, message refused", "policy-rejected"),
    # Content filters in front of the receiving server
    Row(AMAVIS, "554 5.7.0 Reject, id=12345-01 - SPAM", "spam-rejected"),
    Row(AMAVIS, "554 5.7.0 Reject, id=12345-01 - INFECTED: Eicar-Test-Signature", "spam-rejected"),
    Row(
        AMAVIS,
        "554 5.7.0 Reject, id=12345-01 - BANNED: P=p003,L=1,M=application/x-msdownload",
        "policy-rejected",
    ),
    Row(RSPAMD, "554 5.7.1 Spam message rejected", "spam-rejected"),
    Row(RSPAMD, "451 4.7.1 Try again later", "greylisted"),
    Row(RSPAMD, "451 4.7.1 Ratelimit exceeded", "rate-limited"),
    Row(EXCHANGE, "550 5.7.1 Message rejected as spam by Content Filtering.", "spam-rejected"),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.text[:60])
def test_server_software_reply_text(clf: Classifier, row: Row) -> None:
    verdict = verdict_of(clf, row.text)
    assert verdict.category == row.category, verdict.rule


def test_domino_unknown_user_is_not_a_listing(clf: Classifier) -> None:
    # "not listed in" is an unknown user at Domino: neither a category nor a list name of a DNSBL.
    verdict = clf.classify(None, None, "User jo@example.com not listed in Domino Directory")
    assert (verdict.category, verdict.blocklist) == ("mailbox-unknown", None)
