"""The soak harness: its checker catches what it must, and the smoke soak runs clean.

The smoke soak starts Nucleus servers on this test database (two behind Redis, or one on the
embedded default), a producer process and client processes, so the test commits
(transaction=True). No timing is asserted.
"""

import pytest

from bench import report
from bench.soak import run
from bench.soak.checks import commit_times, rss_growth, tally

STAFF, STATUS, LIST = "ws://h/ws/request/7/", "ws://h/ws/status/t/", "ws://h/ws/live/"
PAGES = {STAFF: (7, False, 2), STATUS: (7, True, 2), LIST: None}
# Events 3-6 of request 7: 4 is an internal note.
LOGGED = {7: [(1, True), (2, True), (3, True), (4, False), (5, True), (6, True)]}


def record(url, seqs, **extra):
    return {
        "url": url,
        "connects": 1,
        "failures": 0,
        "reloads": 0,
        "messages": len(seqs),
        "open": True,
        "received": [(seq, 10.0 + seq) for seq in seqs],
    } | extra


def test_a_clean_stream_counts_no_faults_and_times_each_delivery():
    committed_at = commit_times([[7, 4, 6.0, "note"], [7, 6, 8.0, "reply"]], {7: 2})
    counts = tally(
        [record(STAFF, [3, 4, 5, 6]), record(STATUS, [3, 5, 6]), record(LIST, [], messages=9)],
        PAGES,
        LOGGED,
        committed_at,
    )
    assert (counts.missing, counts.dupes, counts.disorder, counts.unexpected) == (0, 0, 0, 0)
    assert (counts.delivered, counts.expected, counts.pokes) == (7, 7, 9)
    # Seqs 3-4 committed at 6.0 and 5-6 at 8.0; each arrived at 10 + seq.
    assert sorted(counts.latencies) == [7.0, 7.0, 7.0, 7.0, 8.0, 8.0, 8.0]


def test_gaps_duplicates_disorder_and_leaks_are_each_counted():
    counts = tally(
        [
            record(STAFF, [3, 5, 4, 5]),  # 6 missing, 4 late, 5 twice
            record(STATUS, [3, 4, 5, 6]),  # the internal note on a status page
            record(LIST, [], open=False, connects=2, reloads=1),
        ],
        PAGES,
        LOGGED,
        {},
    )
    assert (counts.missing, counts.dupes, counts.disorder, counts.unexpected) == (1, 1, 1, 1)
    assert (counts.tabs, counts.connects, counts.closed, counts.reloads) == (3, 4, 1, 1)


def test_rss_is_compared_from_the_first_sample_after_warm_up():
    samples = [(0.0, [10, 20]), (5.0, [100, 200]), (9.0, [110, 190])]
    assert rss_growth(samples, warm_from=4.0) == [(100, 110), (200, 190)]


ZERO = (
    "action errors",
    "server tracebacks logged",
    "events missed (gaps)",
    "events duplicated",
    "events out of order",
    "events a page should not show",
    "pages told to reload",
)


@pytest.mark.django_db(transaction=True)
def test_soak_smoke_runs_clean():
    figures = {fig["name"].removeprefix("Soak · "): fig for fig in report.validate(run(smoke=True))}
    for name in ZERO:
        assert figures[name]["value"] == 0, figures[name]
        assert figures[name]["meets"] is True
    assert figures["actions committed"]["value"] > 0
    assert figures["events delivered"]["value"] > 0
    assert figures["list refresh pokes delivered"]["value"] > 0
    assert figures["clients connected at the end"]["meets"] is True
    assert figures["commit → client p99"]["value"] is not None
    assert figures["server RSS at the end"]["baseline"] > 0
