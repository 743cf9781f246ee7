"""The live fan-out harness at smoke scale: every design runs to the end, and every client
of every design got every message exactly once and in order (gaps, duplicates and
out-of-order messages are counted from the seq marker and `event-N` entries of each frame).

No timing is asserted. The servers are child processes on this test database, so the test
commits (transaction=True). With Redis every part runs; without it, the parts that need no
Redis (bare websockets, the in-memory group_send baseline, Nucleus's embedded default, idle
sockets) run in their own test, which is skipped when Redis is there since the other covers it.
"""

import pytest

from bench import report
from bench.fanout import run

pytestmark = pytest.mark.django_db(transaction=True)

FAULTS = "messages lost, duplicated or out of order"
LOCAL = (
    "bare websockets",
    "group_send, in-memory layer",
    "Nucleus embedded",
    "Idle websockets",
)
WITH_REDIS = (
    "group_send, RedisChannelLayer",
    "Nucleus, status sockets",
    "Nucleus, staff sockets",
    "Scale-out",
    "Reconnect storm",
)


def check(figures, designs):
    report.validate(figures)
    names = [fig["name"] for fig in figures]
    assert not [name for name in names if name.endswith(": failed")], figures
    for design in designs:
        assert any(design in name for name in names), design
    faults = [fig for fig in figures if FAULTS in fig["name"]]
    assert faults
    assert all(fig["value"] == 0 for fig in faults), faults


def test_fanout_smoke_with_redis(requires_redis):
    check(run(smoke=True), LOCAL + WITH_REDIS)


def test_fanout_smoke_without_redis(settings):
    if settings.REDIS_URL:
        pytest.skip("covered by the Redis run")
    figures = run(smoke=True)
    check(figures, LOCAL)
    assert not [fig for fig in figures if any(d in fig["name"] for d in WITH_REDIS)]
