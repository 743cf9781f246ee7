"""Websocket clients in their own processes, the way browsers would hold them.

`ClientPool(processes)` spawns a few worker processes (each an asyncio loop with many
`websockets` connections) and talks to them over pipes; `worker=` names a subclass of
`Worker` that reads messages its own way (bench.soak). Every connection is a `Tab`: a page
that keeps what it has seen across reconnects, reads the seq marker and the `event-N` entries
of each message (bench.fanout.payload), and counts gaps, duplicates and messages out of order.

Latency needs no per-message traffic back to the harness: a worker sends one `ack` for a seq
when the last of its tabs has it, stamped with that moment (CLOCK_MONOTONIC, shared by all
processes on Linux). The latest of the workers' stamps is when the last client got it.
"""

import asyncio
import contextlib
import multiprocessing
import random
import time
from collections import deque
from multiprocessing.connection import wait

from bench.fanout import payload

CONNECT_CONCURRENCY = 32  # handshakes in flight per worker
OPEN_DEADLINE = 300.0  # seconds a tab keeps retrying its first handshake
BACKOFF_STEP = 0.1  # reconnect delay: uniform(0, min(cap, step * 2**attempt)), as browsers do
BACKOFF_CAP = 2.0
CLOSE_TIMEOUT = 10.0


class Tab:
    """One page showing the stream. `newest` is the seq its marker shows."""

    __slots__ = (
        "bytes",
        "connects",
        "disorder",
        "dupes",
        "events",
        "failures",
        "gaps",
        "messages",
        "newest",
        "next_entry",
        "reloads",
        "url",
        "ws",
    )

    def __init__(self, url, base):
        self.url = url
        self.newest = base
        self.next_entry = base + 1
        self.ws = None
        self.connects = self.failures = self.messages = self.events = self.bytes = 0
        self.gaps = self.dupes = self.disorder = self.reloads = 0


class Worker:
    """The loop inside one client process; commands arrive on the pipe."""

    def __init__(self, conn):
        self.conn = conn
        self.tabs = []
        self.tasks = []
        self.reached = {}
        self.base = 0
        self.options = {}
        self.stopping = False
        self.gate = None
        self.done = None

    async def main(self):
        loop = asyncio.get_running_loop()
        self.done = loop.create_future()
        self.gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
        loop.add_reader(self.conn.fileno(), self.on_command)
        try:
            await self.done
        finally:
            loop.remove_reader(self.conn.fileno())
            await self.do_close(reply=False)

    def on_command(self):
        try:
            command, *args = self.conn.recv()
        except (EOFError, OSError):  # the harness is gone: stop
            command, args = "exit", ()
        if command == "exit":
            if not self.done.done():
                self.done.set_result(None)
            return
        result = getattr(self, f"do_{command}")(*args)
        if asyncio.iscoroutine(result):
            asyncio.get_running_loop().create_task(result)

    # -- commands -------------------------------------------------------------------
    async def do_open(self, urls, base, options):
        """Open one more tab per url; reply once each has connected (or failed, when it
        does not retry)."""
        from bench.fanout.serve import raise_open_files

        raise_open_files()
        self.base = base
        self.options = options
        self.stopping = False
        tabs = [Tab(url, base) for url in urls]
        self.tabs += tabs
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        firsts = [loop.create_future() for _ in tabs]
        deadline = started + OPEN_DEADLINE
        self.tasks += [
            loop.create_task(self.keep_open(tab, first, deadline))
            for tab, first in zip(tabs, firsts, strict=True)
        ]
        outcomes = await asyncio.gather(*firsts)
        self.conn.send(("opened", sum(outcomes), len(outcomes), time.monotonic() - started))

    def do_stats(self, expect):
        tabs = self.tabs
        self.conn.send(
            (
                "stats",
                {
                    "tabs": len(tabs),
                    "open": sum(tab.ws is not None for tab in tabs),
                    "behind": sum(tab.newest < expect for tab in tabs),
                    "messages": sum(tab.messages for tab in tabs),
                    "events": sum(tab.events for tab in tabs),
                    "bytes": sum(tab.bytes for tab in tabs),
                    "gaps": sum(tab.gaps for tab in tabs),
                    "dupes": sum(tab.dupes for tab in tabs),
                    "disorder": sum(tab.disorder for tab in tabs),
                    "reloads": sum(tab.reloads for tab in tabs),
                    "connects": sum(tab.connects for tab in tabs),
                    "failures": sum(tab.failures for tab in tabs),
                },
            )
        )

    async def do_close(self, reply=True):
        self.stopping = True
        sockets = [tab.ws for tab in self.tabs if tab.ws is not None]
        if sockets:
            await asyncio.wait(
                [asyncio.ensure_future(ws.close()) for ws in sockets], timeout=CLOSE_TIMEOUT
            )
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks = []
        if reply:
            self.conn.send(("closed",))

    # -- one tab --------------------------------------------------------------------
    async def keep_open(self, tab, first, deadline):
        """Connect, retrying a refused or timed-out handshake until `deadline` as a browser
        would; read until closed; with `reconnect`, come back with ?after=<newest>."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed, WebSocketException

        options = self.options
        attempt = 0
        while not self.stopping:
            resume = options.get("resume") and tab.next_entry is not None
            url = f"{tab.url}?after={tab.newest}" if resume else tab.url
            try:
                async with self.gate:
                    ws = await connect(
                        url,
                        origin=options.get("origin"),
                        additional_headers=options.get("headers"),
                        compression=None,
                        ping_interval=None,
                        max_size=None,
                        proxy=None,
                        open_timeout=30,
                    )
            except (OSError, TimeoutError, WebSocketException):
                tab.failures += 1
                if not first.done() and time.monotonic() > deadline:
                    _settle(first, False)
                    return
            else:
                tab.ws = ws
                tab.connects += 1
                attempt = 0
                _settle(first, True)
                try:
                    async for text in ws:
                        if self.on_message(tab, text):
                            await ws.close()
                except ConnectionClosed:
                    pass
                finally:
                    tab.ws = None
                if not options.get("reconnect"):
                    return
            attempt += 1
            await asyncio.sleep(random.uniform(0, min(BACKOFF_CAP, BACKOFF_STEP * 2**attempt)))

    def on_message(self, tab, text):
        """Check and count one frame; True when the server asks the page to reload."""
        now = time.monotonic()
        tab.messages += 1
        seq, entries, reload = payload.read(text)
        if reload:  # the page reloads: it shows everything, and checking starts afresh
            tab.reloads += 1
            tab.next_entry = None
            return True
        for entry in entries:
            if tab.next_entry is None:
                tab.next_entry = entry
            if entry < tab.next_entry:
                tab.dupes += 1
                continue
            tab.gaps += entry - tab.next_entry
            tab.next_entry = entry + 1
        if seq is None:  # presence, live state: carries no event
            return False
        tab.events += 1
        tab.bytes += len(text)
        if seq <= tab.newest:
            tab.disorder += seq < tab.newest
            return False
        self.advance(tab, seq, now)
        return False

    def advance(self, tab, seq, now):
        """Count the tab in for every seq it now has; ack a seq when the last tab has it."""
        total = len(self.tabs)
        for s in range(max(tab.newest, self.base) + 1, seq + 1):
            count = self.reached.get(s, 0) + 1
            if count == total:
                self.reached.pop(s, None)
                self.conn.send(("ack", s, now))
            else:
                self.reached[s] = count
        tab.newest = seq


def _settle(future, value):
    if not future.done():
        future.set_result(value)


def worker_main(conn, worker=Worker):
    asyncio.run(worker(conn).main())


class ClientPool:
    """The harness's side: open tabs across the workers, wait for acks, gather counts."""

    def __init__(self, processes, worker=Worker):
        context = multiprocessing.get_context("spawn")
        self.conns = []
        self.procs = []
        for _ in range(processes):
            ours, theirs = context.Pipe()
            proc = context.Process(target=worker_main, args=(theirs, worker), daemon=True)
            proc.start()
            theirs.close()
            self.conns.append(ours)
            self.procs.append(proc)
        self.replies = [deque() for _ in self.conns]
        self.acked = [0] * len(self.conns)  # the newest seq all of a worker's tabs have
        self.ack_times = [{} for _ in self.conns]  # seq -> when its last tab got it

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.shutdown()

    # -- plumbing -------------------------------------------------------------------
    def pump(self, timeout):
        """Take in whatever the workers sent within `timeout` seconds."""
        for conn in wait(self.conns, timeout):
            index = self.conns.index(conn)
            try:
                message = conn.recv()
            except EOFError:
                raise RuntimeError(f"client process {index} died") from None
            if message[0] == "ack":
                _, seq, stamp = message
                self.acked[index] = max(self.acked[index], seq)
                self.ack_times[index][seq] = stamp
            else:
                self.replies[index].append(message)

    def call(self, commands, timeout):
        """Send one command per worker; return their replies in worker order."""
        for conn, command in zip(self.conns, commands, strict=True):
            conn.send(command)
        deadline = time.monotonic() + timeout
        while not all(self.replies):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"client processes did not answer {commands[0][0]!r}")
            self.pump(left)
        return [replies.popleft() for replies in self.replies]

    # -- what the harness asks ------------------------------------------------------------
    def open(self, urls, *, base=0, timeout=600, **options):
        """Spread `urls` over the workers round-robin (adding to the tabs already open);
        return (opened, asked, seconds)."""
        k = len(self.conns)
        replies = self.call([("open", urls[i::k], base, options) for i in range(k)], timeout)
        return (
            sum(r[1] for r in replies),
            sum(r[2] for r in replies),
            max(r[3] for r in replies),
        )

    def level(self):
        """The newest seq every tab has."""
        return min(self.acked)

    def wait_for(self, seq, timeout):
        """Block until every tab has `seq`; return when the last one got it."""
        deadline = time.monotonic() + timeout
        while self.level() < seq:
            left = deadline - time.monotonic()
            if left <= 0:
                counts = self.stats(expect=seq)
                raise TimeoutError(
                    f"not every client received seq {seq} within {timeout:g} s: "
                    f"{counts['behind']:,} of {counts['tabs']:,} behind, {counts['open']:,} "
                    f"open, {counts['failures']:,} failed handshakes"
                )
            self.pump(left)
        return self.completed_at(seq)

    def completed_at(self, seq):
        return max(times[seq] for times in self.ack_times)

    def stats(self, expect=0, timeout=60):
        totals = {}
        for _, counts in self.call([("stats", expect)] * len(self.conns), timeout):
            for key, value in counts.items():
                totals[key] = totals.get(key, 0) + value
        return totals

    def close(self, timeout=60):
        self.call([("close",)] * len(self.conns), timeout)

    def shutdown(self):
        for conn in self.conns:
            with contextlib.suppress(OSError):
                conn.send(("exit",))
        for proc in self.procs:
            proc.join(CLOSE_TIMEOUT + 5)
            if proc.is_alive():
                proc.terminate()
                proc.join(5)
        for conn in self.conns:
            conn.close()
