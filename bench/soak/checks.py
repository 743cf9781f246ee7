"""What the soak's clients got, checked against the event log and the producer's record.

Every tab must have every event of its request committed after the seq it started from,
public ones only on a status page, once each and in order. Latency is from an action's
commit to each tab receiving its events.
"""

from dataclasses import dataclass, field

from bench.timing import percentile


@dataclass
class Tally:
    tabs: int = 0
    expected: int = 0  # deliveries the event log says there should be
    delivered: int = 0
    missing: int = 0
    dupes: int = 0
    disorder: int = 0
    unexpected: int = 0  # an event the page should not show (internal on a status page)
    connects: int = 0
    failures: int = 0
    reloads: int = 0
    closed: int = 0  # tabs not connected at the end
    pokes: int = 0  # list sockets' refresh pokes
    latencies: list = field(default_factory=list)

    @property
    def faults(self):
        return self.missing + self.dupes + self.disorder + self.unexpected + self.reloads

    def latency_ms(self, pct):
        ordered = sorted(self.latencies)
        return percentile(ordered, pct) * 1000 if ordered else None


def commit_times(committed, bases):
    """(request id, seq) -> when the action that wrote it committed."""
    times = {}
    newest = dict(bases)
    for request_id, seq, stamp, _ in committed:
        for s in range(newest[request_id] + 1, seq + 1):
            times[request_id, s] = stamp
        newest[request_id] = seq
    return times


def tally(records, pages, logged, committed_at):
    """records: what each tab reported; pages: url -> (request id, public, base seq), None for
    a list socket; logged: request id -> [(seq, public)] from the event log."""
    result = Tally()
    for record in records:
        result.tabs += 1
        result.connects += record["connects"]
        result.failures += record["failures"]
        result.reloads += record["reloads"]
        result.closed += not record["open"]
        page = pages[record["url"]]
        if page is None:
            result.pokes += record["messages"]
            continue
        request_id, public, base = page
        expected = {
            seq for seq, is_public in logged[request_id] if seq > base and (is_public or not public)
        }
        seen = set()
        newest = 0
        for seq, arrived in record["received"]:
            result.delivered += 1
            if seq in seen:
                result.dupes += 1
                continue
            seen.add(seq)
            result.disorder += seq < newest
            newest = max(newest, seq)
            if (request_id, seq) in committed_at:
                result.latencies.append(arrived - committed_at[request_id, seq])
        result.expected += len(expected)
        result.missing += len(expected - seen)
        result.unexpected += len(seen - expected)
    return result


def rss_growth(samples, warm_from):
    """Per server: (RSS at the first sample after warm-up, at the last sample), in bytes.

    samples: [(monotonic time, [RSS per server])]."""
    warm = next((rss for stamp, rss in samples if stamp >= warm_from), samples[-1][1])
    return list(zip(warm, samples[-1][1], strict=True))
