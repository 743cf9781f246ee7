"""Where a server process spends its time: py-spy samples, summarised by layer.

`Profile(pid, seconds)` records while its `with` block runs (py-spy --nonblocking, so the
server is not paused per sample); `summary()` is one line per layer with its share of the
busy samples, most first. Each sample goes to the deepest layer it reached (LAYERS); samples
of threads waiting (IDLE: py-spy's own idle detection does not work in every VM) are left
out. Without py-spy (or without ptrace rights) it records nothing and says so.
"""

import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

RATE = 250  # samples per second

# Deepest first: a sample counts for the first layer whose marker is anywhere in its stack.
LAYERS = (
    ("render_batch", "render the push once: queries + templates (sync thread)"),
    ("publish_stragglers", "outbox relay poll (sync thread)"),
    ("_SelectorSocketTransport.write", "the send syscall (asyncio transport write)"),
    ("_read_ready", "socket reads"),
    ("Protocol.send_text", "websockets (sans-I/O): framing"),
    ("Protocol.data_to_send", "websockets (sans-I/O): framing"),
    ("WebSocketsSansIOProtocol.send", "uvicorn: ASGI send to the protocol"),
    ("AsyncConsumer.send", "Channels: consumer send"),
    ("Hub.send", "hub: fan-out loop, per-socket checks"),
    ("_listen_forever", "Redis pub/sub receive"),
    ("ThreadPoolExecutor", "other sync-thread work (connects, catch-up)"),
)
OTHER = "event loop, other"
# What a push costs per socket below the hub: Channels, uvicorn, websockets, the kernel.
WRITE_PATH = {
    layer
    for marker, layer in LAYERS
    if marker
    in (
        "_SelectorSocketTransport.write",
        "Protocol.send_text",
        "Protocol.data_to_send",
        "WebSocketsSansIOProtocol.send",
        "AsyncConsumer.send",
    )
}
# Leaf frames of a thread that waits: the loop's poll, the idle sync thread, the watchdog.
IDLE = ("EpollSelector.select", "_worker (concurrent/futures/thread.py", "exit_when_orphaned")


def py_spy():
    found = Path(sys.executable).with_name("py-spy")
    return str(found) if found.exists() else shutil.which("py-spy")


class Profile:
    def __init__(self, pid, seconds):
        self.pid = pid
        self.seconds = seconds
        self.output = Path(tempfile.mkdtemp(prefix="nucleus-bench-profile-")) / "samples.txt"
        self.proc = None
        self.problem = ""

    def __enter__(self):
        binary = py_spy()
        if binary is None:
            self.problem = "py-spy is not installed"
            return self
        command = [binary, "record", "--pid", str(self.pid), "--duration", str(int(self.seconds))]
        command += ["--rate", str(RATE), "--format", "raw", "--nonblocking", "--threads"]
        command += ["--output", str(self.output)]
        self.proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        return self

    def __exit__(self, *exc):
        if self.proc is None:
            return
        try:
            out, _ = self.proc.communicate(timeout=self.seconds + 30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
        if self.proc.returncode != 0 or not self.output.exists():
            self.problem = f"py-spy failed: {out.decode(errors='replace').strip()[-300:]}"

    def layers(self):
        """{layer: samples}."""
        counts = Counter()
        if self.problem or not self.output.exists():
            return counts
        for line in self.output.read_text().splitlines():
            stack, _, samples = line.rpartition(" ")
            leaf = stack.rpartition(";")[2]
            if not any(marker in leaf for marker in IDLE):
                counts[_layer(stack)] += int(samples)
        return counts

    def summary(self):
        counts = self.layers()
        total = sum(counts.values())
        if not total:
            return self.problem or "no samples"
        lines = [f"{total:,} samples over {self.seconds:g} s at {RATE}/s (busy time only)"]
        lines += [f"{100 * n / total:5.1f}%  {layer}" for layer, n in counts.most_common()]
        return "\n".join(lines)


def _layer(stack):
    for marker, layer in LAYERS:
        if marker in stack:
            return layer
    return OTHER
