"""The ASGI server Nucleus ships with: uvicorn, websockets through websockets' sans-I/O protocol.

Measured against daphne on the same hub (bench/fanout): daphne spent about 63% of the server's
time in its Twisted/autobahn write path and missed the fan-out targets; uvicorn writes a frame
straight to the asyncio transport. Its `send` also waits while a socket's write buffer is full,
which is what lets the hub find clients that stopped reading (realtime.consumers).
"""

import uvicorn

APPLICATION = "helpdesk.asgi:application"

OPTIONS = {
    "ws": "websockets-sansio",
    # Compression would deflate every push once per socket: fan-out pays per client for it.
    "ws_per_message_deflate": False,
    # Channels' ProtocolTypeRouter has no lifespan handler.
    "lifespan": "off",
}


def serve(host, port, *, workers=1, forwarded_allow_ips="", **options):
    """Serve until interrupted. Proxy headers are trusted only from the addresses given."""
    uvicorn.run(
        APPLICATION,
        host=host,
        port=int(port),
        workers=workers,
        proxy_headers=bool(forwarded_allow_ips),
        forwarded_allow_ips=forwarded_allow_ips or None,
        **OPTIONS,
        **options,
    )
