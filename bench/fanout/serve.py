"""`python -m bench.fanout.serve bare|uvicorn PORT [APP]`: one benchmark server process.

Started by the harness as a child so its CPU time and RSS can be read from /proc on their
own. It raises its open-file limit to the hard limit first (10,000 sockets need far more than
the usual 1,024) and exits by itself once the harness is gone or its lifetime is over.
"""

import argparse
import asyncio
import json
import os
import resource
import threading
import time

LIFETIME = 3600.0


def raise_open_files():
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def exit_when_orphaned(lifetime):
    parent = os.getppid()
    deadline = time.monotonic() + lifetime

    def watch():
        while os.getppid() == parent and time.monotonic() < deadline:
            time.sleep(0.5)
        os._exit(3)

    threading.Thread(target=watch, daemon=True).start()


async def bare(port):
    """The reference: a plain websockets server; `/control/` asks for one broadcast per frame."""
    from websockets.asyncio.server import broadcast, serve

    from bench.fanout.payload import broadcast_html

    clients = set()

    async def handler(ws):
        if ws.request.path == "/control/":
            async for text in ws:
                broadcast(clients, broadcast_html(json.loads(text)["seq"]))
            return
        clients.add(ws)
        try:
            await ws.wait_closed()
        finally:
            clients.discard(ws)

    async with serve(handler, "127.0.0.1", port, compression=None, backlog=1024) as server:
        await server.serve_forever()


def uvicorn_server(port, app):
    """uvicorn as `manage.py serve` runs it (helpdesk.server), one process, quiet."""
    import uvicorn

    from helpdesk.server import OPTIONS

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", backlog=1024, **OPTIONS)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=("bare", "uvicorn"))
    parser.add_argument("port", type=int)
    parser.add_argument("app", nargs="?", default="helpdesk.asgi:application")
    parser.add_argument("--lifetime", type=float, default=LIFETIME)
    args = parser.parse_args()
    raise_open_files()
    exit_when_orphaned(args.lifetime)
    if args.kind == "bare":
        asyncio.run(bare(args.port))
    else:
        uvicorn_server(args.port, args.app)


if __name__ == "__main__":
    main()
