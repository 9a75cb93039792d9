"""A backlog read after downtime (old bounces, a burst that is over) is counted but does not page;
a fresh burst then pages once, with its own count."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.helpers.alert_helpers import restamp
from tests.helpers.alerting_daemon import DATA, daemon, lines, notifications, write_config
from tests.helpers.alertmanager_proc import Alertmanager
from tests.helpers.daemon import append
from tests.helpers.http_receiver import Receiver

pytestmark = pytest.mark.integration
HOUR = 3600.0


def test_backlog_after_downtime_does_not_page(
    tmp_path: Path, plugin_site: Path, am: Alertmanager, receiver: Receiver
) -> None:
    log = tmp_path / "mail.log"
    log.touch()
    cfg = write_config(tmp_path, log, f'alertmanager = "{am.url}"')
    d = daemon(tmp_path, plugin_site, cfg).start()
    try:
        assert d.stop() == 0  # downtime: the log grows while the daemon is down
        now = time.time()
        one = (DATA / "postfix-blocklist-burst.log").read_text().splitlines(keepends=True)[0]
        for ago in (6 * HOUR, 5 * HOUR, 4 * HOUR):  # the 09:00, 10:00, 11:00 bounces
            append(log, restamp(one, now - ago))
        append(log, lines("postfix-blocklist-burst.log", now - 3 * HOUR))  # a burst, over
        append(log, lines("postfix-sent.log", now - 60, step=1))  # recent deliveries
        d.start()
        s = d.wait_for(lambda s: s.get("logscan_lines_total", outcome="event") == 17, "backlog")
        # every old bounce is counted in the metrics ...
        assert s.get("logscan_blocklist_hits_total", blocklist="zen.spamhaus.org") == 11
        time.sleep(3)  # ... and many ticks later, nothing fires
        s = d.scrape()
        assert s.get("logscan_alerts_firing", alert="BlocklistRejections") == 0
        assert am.alerts() == [] and notifications(receiver) == []

        burst_at = time.monotonic()  # a fresh burst, now: one page within a minute
        append(log, lines("postfix-blocklist-burst.log", time.time()))
        receiver.wait(1, timeout=60)
        took = time.monotonic() - burst_at
        print(f"\nfresh burst -> receiver notification: {took:.1f} s")
        assert took < 60
        [page] = notifications(receiver)
        assert page["status"] == "firing"
        [alert] = page["alerts"]
        assert alert["labels"]["blocklist"] == "zen.spamhaus.org"
        assert alert["annotations"]["count"] == "8"  # the fresh burst only, not the history
        assert d.stop() == 0
    finally:
        d.close()
