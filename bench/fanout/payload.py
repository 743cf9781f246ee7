"""The messages every design sends, and how a client reads them.

All three designs push HTML that ends with the seq marker the live pages carry
(`<span id="last-seq" data-seq="N" ...>`) and one `id="event-N"` entry per event, so the
same client code checks every design for gaps, duplicates and order.
"""

import re

MARKER = re.compile(r'id="last-seq" data-seq="(\d+)"')
ENTRY = re.compile(r'id="event-(\d+)"')
RELOAD = 'id="live-reload"'
SIZE = 1024


def broadcast_html(seq):
    """About 1 KB, shaped like one timeline entry plus the seq marker."""
    head = f'<div hx-swap-oob="beforeend:#timeline"><article class="entry staff" id="event-{seq}">'
    tail = f'</article></div><span id="last-seq" data-seq="{seq}" hx-swap-oob="true" hidden></span>'
    return head + "x" * max(0, SIZE - len(head) - len(tail)) + tail


def read(text):
    """(newest seq or None, entry seqs in order, whether the server asked for a reload)."""
    marker = MARKER.search(text)
    return (
        int(marker[1]) if marker else None,
        [int(seq) for seq in ENTRY.findall(text)],
        RELOAD in text,
    )
