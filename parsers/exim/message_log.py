"""The lines of a message's own log (spool/msglog/<id>, what ``exim -Mvl`` shows and people paste
when they ask for help): deliver.c writes there the main log's line for each address, without
the message id and the flag, and in other words for a delivery or a failure."""

from __future__ import annotations

import re

# "<address> [<parent>] R=.. T=.. defer (<errno>): <text>": the main log's "==" line.
_DEFER = re.compile(r"\S+(?: <[^>]*>)?(?: [A-Z]=\S+)*(?: routing)? defer \(-?\d+\)")
# "<routing|router|transport> failed for <address> ... : <text>" (failure_log(), driver_kind
# first), or "<address> R=.. : <text>" when no driver is named: the main log's "**" line.
_FAILED = re.compile(
    r" ?(?P<kind>routing|router|transport) failed for |\S+(?: <[^>]*>)?(?: [A-Z]=\S+)+ : "
)
# "<address> [<parent>]: <transport> transport succeeded": the main log's "=>" line.
_SUCCEEDED = re.compile(r"(\S+)(?: <[^>]*>)?: \S+ transport succeeded$")
# A host's error before the address's line, as the main log has it after the message id:
# "mx.example.net [192.0.2.1] Connection refused".
_HOST_ERROR = re.compile(r"[^\s\[\]=]+ \[[^\]\s]+\](?::\d+)? \S")
# receive.c's first line, and the freezing and child-address notes: no outcome.
_QUIET = ("Received from ", "*** Frozen", "frozen by ")
_CHILDREN_DONE = ": children all complete"


def as_main_log(body: str) -> str | None:
    """The main log's form of a message-log line ("== <address> ...", "** ...", "=> ..."), ""
    for a line that holds no outcome, None if ``body`` is not a message-log line.

    >>> as_main_log("me@example.com R=dnslookup T=remote_smtp defer (111): Connection refused")
    '== me@example.com R=dnslookup T=remote_smtp defer (111): Connection refused'
    >>> as_main_log("routing failed for u@example.com : Unrouteable address")
    '** u@example.com : Unrouteable address'
    >>> as_main_log("u@example.com: remote_smtp transport succeeded")
    '=> u@example.com'
    """
    if _DEFER.match(body) is not None:
        return "== " + body
    failed = _FAILED.match(body)
    if failed is not None:
        return "** " + (body[failed.end() :] if failed.group("kind") else body)
    done = _SUCCEEDED.match(body)
    if done is not None:
        return "=> " + done.group(1)
    if body.startswith(_QUIET) or body.endswith(_CHILDREN_DONE):
        return ""
    if _HOST_ERROR.match(body) is not None:
        return ""  # the address's own line follows with the outcome
    return None


def is_message_log_line(rest: str) -> bool:
    """Whether the text after Exim's time stamp reads as a message-log line (for detection)."""
    return as_main_log(rest) is not None
