"""The three designs, each measured the same way (bench.fanout.measure.fan_out).

- bare: `websockets.broadcast` of a 1 KB message, the limit on this machine;
- group_send: one AsyncWebsocketConsumer per socket in one group (baseline_asgi), on the
  in-memory layer or RedisChannelLayer, under the same server as Nucleus;
- Nucleus: helpdesk.asgi on the bench database under the server it ships with (uvicorn, as
  `manage.py serve` runs it), N status or staff sockets on one request, an agent replying
  through workflows.actions in this process; Redis pub/sub carries one message per server
  process.
"""

import time
from contextlib import ExitStack, contextmanager

from bench.fanout.measure import fan_out
from bench.fanout.publishers import ControlPublisher, ReplyPublisher
from bench.fanout.servers import Server, bare_env, baseline_env, nucleus_env

BASELINE_APP = "bench.fanout.baseline_asgi:application"
NUCLEUS_APP = "helpdesk.asgi:application"
SHIPPED = "uvicorn"


def measure_bare(n, plan):
    with Server("bare", bare_env()) as server, _closing(ControlPublisher(server)) as publish:
        return fan_out([server], "/", publish, n, plan)


def measure_group_send(n, plan, redis_url=None):
    env = baseline_env(redis_url)
    server = Server(SHIPPED, env, app=BASELINE_APP)
    with server, _closing(ControlPublisher(server)) as publish:
        return fan_out([server], "/ws/bench/", publish, n, plan)


def measure_nucleus(
    n, plan, stage, redis_url, *, processes=1, audience="status", server=SHIPPED, watch=None
):
    request, base = stage.stream()
    env = nucleus_env(redis_url)
    if audience == "status":
        path, headers = f"/ws/status/{request.public_token}/", None
    else:
        path, headers = f"/ws/request/{request.pk}/", {"Cookie": stage.staff_cookie()}
    with start_servers(server, env, processes) as servers:
        publish = ReplyPublisher(stage, request)
        return fan_out(
            servers,
            path,
            publish,
            n,
            plan,
            base=base,
            resume=True,
            headers=headers,
            ready=lambda: wait_subscribed(redis_url, len(servers)),
            watch=watch,
        )


def wait_subscribed(redis_url, processes, timeout=30):
    """Wait until every server's hub listens on the pub/sub channel. It subscribes after its
    first socket has connected, and an event published before that is lost for its sockets
    until the next one (the storm shows what that means; here it would only stall a run)."""
    if not redis_url:
        return
    import redis

    from realtime.publisher import pubsub_channel

    channel = pubsub_channel()
    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    try:
        while client.pubsub_numsub(channel)[0][1] < processes:
            if time.monotonic() > deadline:
                raise TimeoutError(f"servers not subscribed to {channel} after {timeout} s")
            time.sleep(0.05)
    finally:
        client.close()


@contextmanager
def start_servers(kind, env, count):
    with ExitStack() as stack:
        servers = []
        for _ in range(count):
            server = Server(kind, env, app=NUCLEUS_APP, taken=[s.port for s in servers])
            servers.append(stack.enter_context(server))
        yield servers


@contextmanager
def _closing(publisher):
    try:
        yield publisher
    finally:
        publisher.close()
