"""Reply texts of the big mailbox providers (Google, Microsoft, Yahoo/AOL, Apple iCloud,
Comcast) from their complete documented lists (issue 12, eighth round), one row per text with
its source.

Scored blind first with `logscan explain` (tests/data/SOURCES.md, "Collected for issue 12,
eighth round"); the category is the one a postmaster reads from the provider's own
explanation. ``provider`` is asserted only where the text names the provider; None means the
text alone does not name it (the remote host does, in a log).
"""

from __future__ import annotations

import pytest

from logscan.classify.classifier import Classifier
from tests.helpers.reply_texts import ReplyText as Row
from tests.helpers.reply_texts import verdict_of

GOOGLE = "support.google.com/a/answer/3726730 (Gmail SMTP errors and codes)"
GOOGLE_CAPTURE = "smtpfieldmanual.com/provider/google (captured Gmail replies)"
MICROSOFT = "Outlook.com postmaster codes; Exchange Online NDRs (sisimai Rhost/Microsoft.pm)"
YAHOO_SISIMAI = (
    "sisimai lib/Sisimai/Rhost/YahooInc.pm (quoting senders.yahooinc.com/smtp-error-codes)"
)
YAHOO_CODES = (
    "senders.yahooinc.com/smtp-error-codes (TS*/GL01 deferrals; rebuilt from captures' wording)"
)
APPLE_SISIMAI = "sisimai lib/Sisimai/Rhost/Apple.pm (quoting support.apple.com/en-us/102322)"
APPLE = "support.apple.com/en-us/102322 (iCloud postmaster; CS/HM codes rebuilt)"
COMCAST = "postmaster.comcast.net mail-error-codes.html and smtp-error-codes.php (rebuilt)"
COMCAST_LEGACY = "business.comcast.com email-bounce-back-messages (BL006, BL007; rebuilt)"

ROWS = [
    # Google: every row of the Workspace table, and captured variants
    Row(
        GOOGLE,
        "421 4.3.0 Temporary System Problem. Try again later. - gsmtp",
        "server-error",
        "google",
    ),
    Row(GOOGLE, "421 4.4.5 Server busy, try again later. - gsmtp", "service-unavailable", "google"),
    Row(
        GOOGLE,
        "421 4.7.0 IP not in whitelist for RCPT domain, closing connection. - gsmtp",
        "policy-rejected",
        "google",
    ),
    Row(
        GOOGLE,
        "421 4.7.0 Our system has detected an unusual rate of unsolicited mail originating "
        "from your IP address. To protect our users from spam, mail sent from your IP "
        "address has been temporarily blocked. - gsmtp",
        "rate-limited",
        "google",
    ),
    Row(
        GOOGLE,
        "421 4.7.0 Temporary System Problem. Try again later. - gsmtp",
        "server-error",
        "google",
    ),
    Row(
        GOOGLE,
        "421 4.7.0 TLS required for RCPT domain, closing connection. - gsmtp",
        "tls-required",
        "google",
    ),
    Row(GOOGLE, "421 4.7.0 Try again later, closing connection. - gsmtp", "rate-limited", "google"),
    Row(
        GOOGLE_CAPTURE,
        "421 4.7.0 [192.0.2.1] Our system has detected that this message is suspicious due "
        "to the very low reputation of the sending domain. To best protect our users from "
        "spam, the message has been blocked. - gsmtp",
        "rate-limited",
        "google",
    ),
    Row(
        GOOGLE_CAPTURE,
        "421 4.7.0 [192.0.2.1] Our system has detected that this message is suspicious due "
        "to the nature of the content and/or the links within. To best protect our users "
        "from spam, the message has been blocked. - gsmtp",
        "spam-rejected",
        "google",
    ),
    Row(
        GOOGLE_CAPTURE,
        "421 4.7.28 [192.0.2.1] Our system has detected an unusual rate of unsolicited mail "
        "originating from your IP address. To protect our users from spam, mail sent from "
        "your IP address has been temporarily rate limited. - gsmtp",
        "rate-limited",
        "google",
    ),
    # Google: every row of the Workspace table, and captured variants
    Row(
        GOOGLE,
        "421 4.7.28 Gmail has detected an unusual rate of mail originating from your SPF "
        "domain [example.com]. To protect our users from spam, mail sent from your domain "
        "has been temporarily rate limited. - gsmtp",
        "rate-limited",
        "google",
    ),
    Row(
        GOOGLE,
        "450 4.2.1 The user you are trying to contact is receiving mail too quickly. Please "
        "resend your message at a later time. - gsmtp",
        "rate-limited",
        "google",
    ),
    Row(
        GOOGLE,
        "450 4.2.1 The user you are trying to contact is receiving mail at a rate that "
        "prevents additional messages from being delivered. Please resend your message at a "
        "later time. - gsmtp",
        "rate-limited",
        "google",
    ),
    Row(
        GOOGLE,
        "450 4.2.1 Peak SMTP relay limit exceeded for customer. - gsmtp",
        "rate-limited",
        "google",
    ),
    Row(
        GOOGLE,
        "451 4.3.0 Mail server temporarily rejected message. - gsmtp",
        "service-unavailable",
        "google",
    ),
    Row(
        GOOGLE,
        "451 4.3.0 Multiple destination domains per transaction is unsupported. Please try "
        "again. - gsmtp",
        "rate-limited",
        "google",
    ),
    Row(GOOGLE, "451 4.4.2 Timeout - closing connection. - gsmtp", "network", "google"),
    Row(GOOGLE, "451 4.5.0 SMTP protocol violation, see RFC 2821. - gsmtp", "protocol", "google"),
    Row(
        GOOGLE,
        "452 4.2.2 The email account that you tried to reach is over quota. - gsmtp",
        "mailbox-full",
        "google",
    ),
    Row(
        GOOGLE,
        "452 4.5.3 Domain policy size per transaction exceeded, please try this recipient in "
        "a separate transaction. - gsmtp",
        "rate-limited",
        "google",
    ),
    Row(
        GOOGLE, "452 4.5.3 Your message has too many recipients. - gsmtp", "rate-limited", "google"
    ),
    Row(
        GOOGLE,
        "454 4.5.0 SMTP protocol violation, no commands allowed to pipeline after STARTTLS. "
        "- gsmtp",
        "protocol",
        "google",
    ),
    Row(
        GOOGLE,
        "454 4.7.0 Cannot authenticate due to temporary system problem. Try again later. - gsmtp",
        "server-error",
        "google",
    ),
    Row(GOOGLE, "454 5.5.1 STARTTLS may not be repeated. - gsmtp", "protocol", "google"),
    Row(GOOGLE, "501 5.5.2 Cannot Decode response. - gsmtp", "protocol", "google"),
    Row(GOOGLE, "501 5.5.4 HELO/EHLO argument is invalid. - gsmtp", "policy-rejected", "google"),
    Row(GOOGLE, "502 5.5.1 Too many unrecognized commands, goodbye. - gsmtp", "protocol", "google"),
    Row(GOOGLE, "502 5.5.1 Unimplemented command. - gsmtp", "protocol", "google"),
    Row(GOOGLE, "502 5.5.1 Unrecognized command. - gsmtp", "protocol", "google"),
    Row(GOOGLE, "503 5.5.1 EHLO/HELO first. - gsmtp", "protocol", "google"),
    Row(GOOGLE, "503 5.5.1 MAIL first. - gsmtp", "protocol", "google"),
    Row(GOOGLE, "503 5.5.1 RCPT first. - gsmtp", "protocol", "google"),
    Row(GOOGLE, "503 5.7.0 No identity changes permitted. - gsmtp", "protocol", "google"),
    Row(GOOGLE, "504 5.7.4 Unrecognized Authentication Type. - gsmtp", "auth-failed", "google"),
    Row(GOOGLE, "530 5.5.1 Authentication Required. - gsmtp", "auth-required", "google"),
    Row(GOOGLE, "530 5.7.0 Must issue a STARTTLS command first. - gsmtp", "tls-required", "google"),
    Row(
        GOOGLE,
        "535 5.5.4 Optional Argument not permitted for that AUTH mode. - gsmtp",
        "auth-failed",
        "google",
    ),
    Row(
        GOOGLE, "535 5.7.1 Application-specific password required. - gsmtp", "auth-failed", "google"
    ),
    Row(
        GOOGLE,
        "535 5.7.1 Please log in with your web browser and then try again. - gsmtp",
        "auth-failed",
        "google",
    ),
    Row(GOOGLE, "535 5.7.1 Username and Password not accepted. - gsmtp", "auth-failed", "google"),
    Row(
        GOOGLE,
        "550 5.1.1 The email account that you tried to reach does not exist. - gsmtp",
        "mailbox-unknown",
        "google",
    ),
    Row(
        GOOGLE,
        "550 5.2.1 The email account that you tried to reach is disabled. - gsmtp",
        "mailbox-disabled",
        "google",
    ),
    Row(
        GOOGLE,
        "550 5.2.1 The user you are trying to contact is receiving mail at a rate that "
        "prevents additional messages from being delivered. - gsmtp",
        "rate-limited",
        "google",
    ),
    Row(GOOGLE, "550 5.4.5 Daily sending quota exceeded. - gsmtp", "rate-limited", "google"),
    Row(
        GOOGLE,
        "550 5.4.5 Daily SMTP relay limit exceeded for user. - gsmtp",
        "rate-limited",
        "google",
    ),
    Row(GOOGLE, "550 5.7.0 Mail relay denied. - gsmtp", "relay-denied", "google"),
    Row(GOOGLE, "550 5.7.0 Mail Sending denied. - gsmtp", "relay-denied", "google"),
    Row(GOOGLE, "550 5.7.1 Email quota exceeded. - gsmtp", "rate-limited", "google"),
    Row(GOOGLE, "550 5.7.1 Invalid credentials for relay. - gsmtp", "relay-denied", "google"),
    Row(
        GOOGLE,
        "550 5.7.1 Our system has detected an unusual rate of unsolicited mail originating "
        "from your IP address. To protect our users from spam, mail sent from your IP "
        "address has been blocked. - gsmtp",
        "blocklisted",
        "google",
    ),
    Row(
        GOOGLE,
        "550 5.7.1 Our system has detected that this message is likely unsolicited mail. To "
        "reduce the amount of spam sent to Gmail, this message has been blocked. - gsmtp",
        "spam-rejected",
        "google",
    ),
    Row(
        GOOGLE,
        "550 5.7.1 The IP you're using to send mail is not authorized to send email directly "
        "to our servers. Please use the SMTP relay at your service provider instead. - gsmtp",
        "policy-rejected",
        "google",
    ),
    Row(
        GOOGLE,
        "550 5.7.1 The user or domain that you are sending to (or from) has a policy that "
        "prohibited the mail that you sent. - gsmtp",
        "policy-rejected",
        "google",
    ),
    Row(
        GOOGLE,
        "550 5.7.1 Unauthenticated email is not accepted from this domain. - gsmtp",
        "sender-auth-failed",
        "google",
    ),
    Row(
        GOOGLE,
        "550 5.7.1 Daily SMTP relay limit exceeded for customer. - gsmtp",
        "rate-limited",
        "google",
    ),
    Row(
        GOOGLE,
        "550 5.7.1 This message violates example.com email policy. - gcdp <sessionid> - gsmtp",
        "policy-rejected",
        "google",
    ),
    Row(
        GOOGLE,
        "550 5.7.25 The IP address sending this message does not have a PTR record setup, or "
        "the corresponding forward DNS entry does not point to the sending IP. - gsmtp",
        "sender-auth-failed",
        "google",
    ),
    Row(
        GOOGLE,
        "550 5.7.26 This message does not have authentication information or fails to pass "
        "authentication checks (SPF or DKIM). - gsmtp",
        "sender-auth-failed",
        "google",
    ),
    Row(
        GOOGLE,
        "550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's "
        "DMARC policy. - gsmtp",
        "sender-auth-failed",
        "google",
    ),
    Row(
        GOOGLE,
        "550 5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail "
        "requires all senders to authenticate with either SPF or DKIM. - gsmtp",
        "sender-auth-failed",
        "google",
    ),
    Row(
        GOOGLE,
        "550 5.7.27 The sender address/domain is not allowed to send from this IP (SPF check "
        "failed). - gsmtp",
        "sender-auth-failed",
        "google",
    ),
    Row(
        GOOGLE,
        "552 5.2.2 The email account that you tried to reach is over quota and inactive. - gsmtp",
        "mailbox-full",
        "google",
    ),
    Row(
        GOOGLE,
        "552 5.2.3 Your message exceeded Google's message size limits. - gsmtp",
        "message-too-large",
        "google",
    ),
    Row(
        GOOGLE,
        "552 5.3.4 Your message exceeded Google's message header size limits. - gsmtp",
        "message-too-large",
        "google",
    ),
    Row(
        GOOGLE,
        "552 5.7.0 Our system detected an illegal attachment on your message. - gsmtp",
        "policy-rejected",
        "google",
    ),
    Row(
        GOOGLE,
        "552 5.7.0 This message was blocked because its content presents a potential "
        "security issue. - gsmtp",
        "policy-rejected",
        "google",
    ),
    Row(
        GOOGLE,
        "553 5.1.2 We weren't able to find the recipient domain. Please check for any "
        "spelling errors. - gsmtp",
        "bad-domain",
        "google",
    ),
    Row(
        GOOGLE,
        "553 5.1.3 The recipient address <x@example> is not a valid RFC 5321 address. - gsmtp",
        "bad-address",
        "google",
    ),
    Row(
        GOOGLE,
        "554 5.6.0 Mail message is malformed. Not accepted. - gsmtp",
        "policy-rejected",
        "google",
    ),
    Row(GOOGLE, "554 5.7.0 Too many unauthenticated commands. - gsmtp", "protocol", "google"),
    Row(GOOGLE, "555 5.5.2 Syntax error. - gsmtp", "protocol", "google"),
    # Microsoft: Outlook.com/Hotmail codes, Exchange Online texts not in the NDR table's TSV
    Row(
        MICROSOFT,
        "550 SC-001 (BAY004-MC1F41) Unfortunately, messages from 192.0.2.1 weren't sent. "
        "Please contact your Internet service provider since part of their network is on our "
        "block list.",
        "blocklisted",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "550 SC-002 (SNT004-MC3F42) Mail rejected by Outlook.com for policy reasons. The "
        "mail server IP connecting to Outlook.com server has exhibited namespace mining "
        "behavior.",
        "blocklisted",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "550 SC-003 (COL004-MC1F4) Mail rejected by Outlook.com for policy reasons. Your IP "
        "address appears to be an open proxy/relay.",
        "blocklisted",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "550 SC-004 (BLU004-MC2F19) Mail rejected by Outlook.com for policy reasons. A block "
        "has been placed against your IP address because we have received complaints "
        "concerning mail coming from that IP address.",
        "blocklisted",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "550 OU-002 (BAY004-MC2F5) Mail rejected by Outlook.com for policy reasons. Reasons "
        "for rejection may be related to content with spam-like characteristics or IP/domain "
        "reputation problems.",
        "blocklisted",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "550 DY-001 (SNT004-MC1F43) Unfortunately, messages from 192.0.2.1 weren't sent. "
        "Please contact your Internet service provider. You can tell them that Outlook.com "
        "does not relay dynamically-assigned IP ranges.",
        "policy-rejected",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "421 RP-001 (BAY004-MC1F41) Unfortunately, some messages from 192.0.2.1 weren't "
        "sent. Please try again. We have limits for how many messages can be sent per hour "
        "and per day.",
        "rate-limited",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "421 RP-002 (COL004-MC6F20) Unfortunately, some messages from 192.0.2.1 weren't "
        "sent. Please try again. We have limits for how many messages can be sent per hour "
        "and per day.",
        "rate-limited",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "421 RP-003 (SNT004-MC4F8) Unfortunately, some messages from 192.0.2.1 weren't sent. "
        "Please try again. We have limits for how many messages can be sent per hour and per "
        "day.",
        "rate-limited",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact "
        "your Internet service provider since part of their network is on our block list "
        "(S3140). You can also refer your provider to "
        "http://mail.live.com/mail/troubleshooting.aspx#errors.",
        "blocklisted",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact "
        "your Internet service provider since part of their network is on our block list "
        "(S3150). You can also refer your provider to "
        "http://mail.live.com/mail/troubleshooting.aspx#errors.",
        "blocklisted",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact "
        "your Internet service provider since part of their network is on our block list "
        "(AS3140).",
        "blocklisted",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "451 4.7.500 Server busy. Please try again later from [192.0.2.1]. (S775) "
        "[BN1NAM02FT005.eop-nam02.prod.protection.outlook.com]",
        "rate-limited",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "451 4.7.500 Server busy. Please try again later from [192.0.2.1]. (S77719) "
        "[AM5EUR03FT025.eop-EUR03.prod.protection.outlook.com]",
        "rate-limited",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "451 4.7.500 Server busy. Please try again later from [192.0.2.1]. (AS843) "
        "[DB5EUR03FT010.eop-EUR03.prod.protection.outlook.com]",
        "rate-limited",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "451 4.7.650 The mail server [192.0.2.1] has been temporarily rate limited due to IP "
        "reputation. For e-mail delivery information, see https://postmaster.live.com (S775) "
        "[Name=Protocol Filter Agent]",
        "rate-limited",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP. "
        "For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653 "
        "AS(7230)",
        "blocklisted",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "550 5.7.705 Access denied, tenant has exceeded threshold. For more information "
        "please go to http://go.microsoft.com/fwlink/?LinkId=526653",
        "blocklisted",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "550 5.7.750 Service unavailable. Client blocked from sending from unregistered "
        "domains. For more information please go to "
        "http://go.microsoft.com/fwlink/?LinkId=526653",
        "policy-rejected",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "550 5.7.606 Access denied, banned sending IP [192.0.2.1]. To request removal from "
        "this list please visit https://sender.office.com/ and follow the directions.",
        "blocklisted",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "550 5.7.1 Service unavailable, Client host [192.0.2.1] blocked using Spamhaus. To "
        "request removal from this list see https://www.spamhaus.org/query/ip/192.0.2.1 "
        "AS(1450) [DM3NAM03FT035.eop-NAM03.prod.protection.outlook.com]",
        "blocklisted",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "550 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using Blocklist 1; "
        "To request removal from this list please forward this message to "
        "delist@messaging.microsoft.com",
        "blocklisted",
        None,
    ),
    Row(
        MICROSOFT,
        "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) "
        "[DB5EUR03FT050.eop-EUR03.prod.protection.outlook.com]",
        "mailbox-unknown",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). "
        "[DM6NAM12FT021.eop-nam12.prod.protection.outlook.com]",
        "mailbox-unknown",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to "
        "support TLS 1.2. Visit https://aka.ms/smtp_auth_tls.",
        "tls-required",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "550 5.7.1 Service unavailable, MailFrom domain is listed in Spamhaus. To request "
        "removal from this list see https://www.spamhaus.org/query/lookup/ (S8002) "
        "[VI1EUR04FT047.eop-eur04.prod.protection.outlook.com]",
        "blocklisted",
        "microsoft",
    ),
    Row(
        MICROSOFT,
        "550 5.7.515 Access denied, sending domain example.com doesn't meet the required "
        "authentication level. The sender's domain in the 5322.From address doesn't meet the "
        "authentication requirements defined for the sender.",
        "sender-auth-failed",
        "microsoft",
    ),
    # Yahoo / AOL
    Row(
        YAHOO_SISIMAI,
        "550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo "
        "requires all senders to authenticate with either SPF or DKIM.",
        "sender-auth-failed",
        "yahoo",
    ),
    Row(
        YAHOO_SISIMAI,
        "553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.25, because the ip "
        "is in Spamhaus's list; see http://postmaster.yahoo.com/550-bl23.html",
        "blocklisted",
        "yahoo",
    ),
    Row(
        YAHOO_SISIMAI,
        "553 5.7.1 [BL23] Connections not accepted from IP addresses on Spamhaus XBL; see "
        "http://postmaster.yahoo.com/errors/550-bl23.html [550]",
        "blocklisted",
        "yahoo",
    ),
    Row(YAHOO_SISIMAI, "550 relaying denied for <x@yahoo.com>", "relay-denied", None),
    Row(
        YAHOO_SISIMAI,
        "554 Message not allowed - [PH01] Email not accepted for policy reasons. Please "
        "visit https://postmaster.yahooinc.com/error-codes",
        "spam-rejected",
        "yahoo",
    ),
    Row(
        YAHOO_SISIMAI,
        "554 5.7.9 Message not accepted for policy reasons. See "
        "https://postmaster.yahooinc.com/error-codes",
        "policy-rejected",
        "yahoo",
    ),
    Row(
        YAHOO_SISIMAI,
        "421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to unexpected "
        "volume or user complaints - 4.16.55.1; see "
        "https://postmaster.yahooinc.com/error-codes",
        "rate-limited",
        "yahoo",
    ),
    Row(
        YAHOO_SISIMAI,
        "451 Message temporarily deferred due to unresolvable RFC.5321 from domain. See "
        "https://senders.yahooinc.com/error-codes#unresolvable-from-domain",
        "dns-failure",
        "yahoo",
    ),
    Row(
        YAHOO_SISIMAI,
        "553 5.7.2 [TSS09] All messages from 192.0.2.25 will be permanently deferred; "
        "Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes",
        "blocklisted",
        "yahoo",
    ),
    Row(
        YAHOO_SISIMAI,
        "553 5.7.2 [TSS11] All messages from 192.0.2.25 will be permanently deferred; "
        "Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes",
        "blocklisted",
        "yahoo",
    ),
    Row(YAHOO_SISIMAI, "450 User is receiving mail too quickly", "rate-limited", None),
    Row(
        YAHOO_SISIMAI,
        "554 delivery error: dd x@yahoo.com is no longer valid. [-20] - mta1234.mail.ne1.yahoo.com",
        "mailbox-disabled",
        "yahoo",
    ),
    Row(
        YAHOO_SISIMAI,
        "554 30 Sorry, your message to x@aol.jp cannot be delivered. This mailbox is "
        "disabled (554.30)",
        "mailbox-disabled",
        None,
    ),
    Row(YAHOO_SISIMAI, "501 Syntax error in parameters or arguments", "protocol", None),
    Row(
        YAHOO_SISIMAI,
        "421 Max message per connection reached, closing transmission channel",
        "rate-limited",
        None,
    ),
    Row(
        YAHOO_SISIMAI,
        "554 delivery error: dd This user doesn't have a yahoo.com account (x@yahoo.com) [0] "
        "- mta1234.mail.ne1.yahoo.com",
        "mailbox-unknown",
        "yahoo",
    ),
    Row(
        YAHOO_SISIMAI,
        "552 1 Requested mail action aborted, mailbox not found",
        "mailbox-unknown",
        None,
    ),
    Row(
        YAHOO_CODES,
        "421 4.7.0 [TS01] Messages from 192.0.2.25 temporarily deferred due to user "
        "complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
        "rate-limited",
        "yahoo",
    ),
    Row(
        YAHOO_CODES,
        "421 4.7.0 [TS02] Messages from 192.0.2.25 temporarily deferred due to user "
        "complaints - 4.16.56.1; see https://postmaster.yahooinc.com/error-codes",
        "rate-limited",
        "yahoo",
    ),
    Row(
        YAHOO_CODES,
        "421 4.7.1 [TS03] All messages from 192.0.2.25 will be permanently deferred; "
        "Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes",
        "blocklisted",
        "yahoo",
    ),
    Row(
        YAHOO_CODES,
        "421 4.7.0 [GL01] Message from (192.0.2.25) temporarily deferred - 4.16.50. Please "
        "refer to https://postmaster.yahooinc.com/error-codes",
        "rate-limited",
        "yahoo",
    ),
    Row(YAHOO_CODES, "451 Message temporarily deferred - [160]", "rate-limited", None),
    # Apple iCloud
    Row(
        APPLE_SISIMAI,
        "554 5.7.1 Your message was rejected due to example.jp's DMARC policy. See "
        "https://support.apple.com/en-us/HT204137 for",
        "sender-auth-failed",
        "apple",
    ),
    Row(
        APPLE_SISIMAI,
        "554 5.7.1 [HME1] This message was blocked for failing both SPF and DKIM "
        "authentication checks. See https://support.apple.com/en-us/HT204137 for mailing "
        "best practices",
        "sender-auth-failed",
        "apple",
    ),
    Row(
        APPLE_SISIMAI,
        "550 5.7.0 Blocked - see https://support.proofpoint.com/dnsbl-lookup.cgi?ip=192.0.1.2",
        "blocklisted",
        "proofpoint",
    ),
    Row(
        APPLE_SISIMAI,
        "550 5.7.1 Your email was rejected due to having a domain present in the Spamhaus "
        "DBL -- see https://www.spamhaus.org/dbl/",
        "spam-rejected",
        None,
    ),
    Row(
        APPLE_SISIMAI,
        "550 5.7.1 Mail from IP 192.0.2.1 was rejected due to listing in Spamhaus SBL. For "
        "details please see http://www.spamhaus.org/query/bl?ip=192.0.2.1",
        "blocklisted",
        None,
    ),
    Row(
        APPLE_SISIMAI,
        "550 5.1.6 recipient no longer on server: x@icloud.com",
        "mailbox-unknown",
        None,
    ),
    Row(
        APPLE_SISIMAI,
        "552 5.2.2 <x@icloud.com>: user is over quota (in reply to RCPT TO command)",
        "mailbox-full",
        None,
    ),
    Row(APPLE_SISIMAI, "554 5.7.1 <x@icloud.com>: Relay access denied", "relay-denied", None),
    Row(
        APPLE_SISIMAI,
        "550 5.7.1 [CS01] Message rejected due to local policy. Please visit "
        "https://support.apple.com/en-us/HT204137",
        "policy-rejected",
        "apple",
    ),
    Row(
        APPLE,
        "550 5.7.1 [CS02] Message rejected due to local policy. Please visit "
        "https://support.apple.com/en-us/HT204137",
        "policy-rejected",
        "apple",
    ),
    Row(
        APPLE,
        "550 5.7.1 [CS03] Message rejected due to local policy. Please visit "
        "https://support.apple.com/en-us/HT204137",
        "policy-rejected",
        "apple",
    ),
    Row(
        APPLE,
        "554 5.7.1 [HM07] Message rejected due to local policy. Please visit "
        "https://support.apple.com/en-us/HT204137",
        "policy-rejected",
        "apple",
    ),
    Row(
        APPLE,
        "554 5.7.1 [HM08] Message rejected due to local policy. Please visit "
        "https://support.apple.com/en-us/HT204137",
        "policy-rejected",
        "apple",
    ),
    # Apple iCloud
    Row(
        APPLE_SISIMAI,
        "450 4.1.8 <x@example.jp>: Sender address rejected: Domain not found",
        "bad-domain",
        None,
    ),
    Row(
        APPLE_SISIMAI,
        "421 4.7.1 Messages to x@icloud.com deferred due to excessive volume. Try again "
        "later - https://support.apple.com/en-us/HT204137",
        "rate-limited",
        "apple",
    ),
    Row(
        APPLE_SISIMAI,
        "550 5.1.1 <x@icloud.com>: inactive email address (in reply to RCPT TO command)",
        "mailbox-disabled",
        None,
    ),
    Row(APPLE_SISIMAI, "550 5.1.1 unknown or illegal alias: x@icloud.com", "mailbox-unknown", None),
    # Comcast / Xfinity
    Row(
        COMCAST,
        "554 resimta-po-01v.sys.comcast.net resimta-po-01v.sys.comcast.net 192.0.2.1 "
        "rejected; residential IP, see "
        "http://postmaster.comcast.net/smtp-error-codes.php#ES000001",
        "policy-rejected",
        "comcast",
    ),
    Row(
        COMCAST,
        "554 resimta-po-01v.sys.comcast.net resimta-po-01v.sys.comcast.net 192.0.2.1 "
        "rejected; residential IP, see "
        "http://postmaster.comcast.net/smtp-error-codes.php#ES000010",
        "policy-rejected",
        "comcast",
    ),
    Row(
        COMCAST,
        "554 resimta-ch2-18v.sys.comcast.net resimta-ch2-18v.sys.comcast.net 192.0.2.1 found "
        "on one or more DNSBLs, see "
        "http://postmaster.comcast.net/smtp-error-codes.php#BL000000",
        "blocklisted",
        "comcast",
    ),
    Row(
        COMCAST,
        "554 resimta-ch2-18v.sys.comcast.net resimta-ch2-18v.sys.comcast.net 192.0.2.1 found "
        "on one or more DNSBLs, see "
        "http://postmaster.comcast.net/smtp-error-codes.php#BL000001",
        "blocklisted",
        "comcast",
    ),
    Row(
        COMCAST,
        "554 resimta-ch2-18v.sys.comcast.net resimta-ch2-18v.sys.comcast.net 192.0.2.1 found "
        "on one or more DNSBLs, see "
        "http://postmaster.comcast.net/smtp-error-codes.php#BL000010",
        "blocklisted",
        "comcast",
    ),
    Row(
        COMCAST,
        "554 resimta-ch2-18v.sys.comcast.net resimta-ch2-18v.sys.comcast.net 192.0.2.1 found "
        "on one or more DNSBLs, see "
        "http://postmaster.comcast.net/smtp-error-codes.php#BL000011",
        "blocklisted",
        "comcast",
    ),
    Row(
        COMCAST,
        "554 resimta-ch2-18v.sys.comcast.net resimta-ch2-18v.sys.comcast.net 192.0.2.1 found "
        "on one or more DNSBLs, see "
        "http://postmaster.comcast.net/smtp-error-codes.php#BL000100",
        "blocklisted",
        "comcast",
    ),
    Row(
        COMCAST,
        "554 resimta-ch2-18v.sys.comcast.net resimta-ch2-18v.sys.comcast.net 192.0.2.1 found "
        "on one or more DNSBLs, see "
        "http://postmaster.comcast.net/smtp-error-codes.php#BL000111",
        "blocklisted",
        "comcast",
    ),
    Row(
        COMCAST,
        "421 resimta-ch2-18v.sys.comcast.net comcast Too many sessions opened",
        "rate-limited",
        "comcast",
    ),
    Row(
        COMCAST,
        "421 resimta-ch2-18v.sys.comcast.net comcast Reverse DNS failure : Try again later",
        "dns-failure",
        "comcast",
    ),
    Row(
        COMCAST_LEGACY,
        "554 imta07.westchester.pa.mail.comcast.net comcast 192.0.2.1 Comcast BL006 Blocked "
        "for spam. Please see "
        "http://www.comcast.net/help/faq/index.jsp?faq=SecurityMail_Policy18850",
        "blocklisted",
        "comcast",
    ),
    Row(
        COMCAST_LEGACY,
        "554 imta07.westchester.pa.mail.comcast.net comcast 192.0.2.1 Comcast BL007 Blocked "
        "for spam. Please see "
        "http://www.comcast.net/help/faq/index.jsp?faq=SecurityMail_Policy19051",
        "blocklisted",
        "comcast",
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.text[:60])
def test_big_provider_reply_text(clf: Classifier, row: Row) -> None:
    verdict = verdict_of(clf, row.text)
    assert (verdict.category, verdict.provider) == (row.category, row.provider), verdict.rule


def test_each_text_is_listed_once() -> None:
    texts = [row.text for row in ROWS]
    assert len(texts) == len(set(texts))
