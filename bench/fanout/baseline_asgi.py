"""The baseline: one AsyncWebsocketConsumer per socket, all joined to one group, fed by
group_send, the way the Channels tutorial builds a chat room.

`/control/` is the harness's publisher: each frame it sends becomes one group_send, so the
publish happens in this process whatever the layer (the in-memory layer cannot cross
processes).
"""

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.fanout.baseline_settings")
django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from bench.fanout.payload import broadcast_html  # noqa: E402

GROUP = f"bench-fanout-{os.getpid()}"  # its own, should two runs share a Redis database


class GroupSocket(AsyncWebsocketConsumer):
    async def connect(self):
        await self.channel_layer.group_add(GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def broadcast(self, event):
        await self.send(text_data=event["html"])


class Control(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        html = broadcast_html(json.loads(text_data)["seq"])
        await self.channel_layer.group_send(GROUP, {"type": "broadcast", "html": html})


application = ProtocolTypeRouter(
    {
        "websocket": URLRouter(
            [path("ws/bench/", GroupSocket.as_asgi()), path("control/", Control.as_asgi())]
        )
    }
)
