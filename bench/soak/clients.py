"""The soak's clients: bench.fanout's tabs, keeping every entry they get.

A status page shows public events only, so its seqs skip the internal ones: whether a page
missed anything can only be told against the event log. Each tab therefore keeps every
`event-N` entry it receives, with when it received it, and the harness checks them once the
stream has stopped (bench.soak.checks).
"""

import time

from bench.fanout import payload
from bench.fanout.clients import Worker


class SoakWorker(Worker):
    def __init__(self, conn):
        super().__init__(conn)
        self.received = {}  # tab -> [(seq, when it arrived)]

    def on_message(self, tab, text):
        """Keep the entries; True when the server asks the page to reload."""
        now = time.monotonic()
        tab.messages += 1
        seq, entries, reload = payload.read(text)
        if reload:
            tab.reloads += 1
            tab.next_entry = None  # reconnects without ?after=, as a reloaded page would
            return True
        self.received.setdefault(tab, []).extend((entry, now) for entry in entries)
        if seq is not None:
            tab.events += 1
            tab.newest = max(tab.newest, seq)  # where a reconnect resumes from
        return False

    def do_positions(self):
        """The newest seq every tab of each url shows."""
        newest = {}
        for tab in self.tabs:
            newest[tab.url] = min(newest.get(tab.url, tab.newest), tab.newest)
        self.conn.send(("positions", newest))

    def do_report(self):
        self.conn.send(
            (
                "report",
                [
                    {
                        "url": tab.url,
                        "connects": tab.connects,
                        "failures": tab.failures,
                        "reloads": tab.reloads,
                        "messages": tab.messages,
                        "open": tab.ws is not None,
                        "received": self.received.get(tab, []),
                    }
                    for tab in self.tabs
                ],
            )
        )
