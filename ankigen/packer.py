"""Making and packing the decks of a build, in order; for a big build, in a second process.

Making notes and packing them (genanki, SQLite, zip) is over half of a big build's time
and needs only the checked cards, so a second process makes and packs one section while
this one reads and checks the next: a 2-core machine then does both at once. The worker
takes the sections in the order they are given and draws ids from the allocator the
in-process path would use, so both paths write the same bytes (a test holds them equal).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import queue
import signal
import threading
import traceback
from collections.abc import Callable
from typing import Any

from ankigen.cards import Card, DeckHeader
from ankigen.kinds import generate
from ankigen.package import IdAllocator, Memory, Snapshot, build_package

Decks = list[tuple[DeckHeader, list[Card]]]  # (deck, its checked cards) for one package
Packed = tuple[bytes, Snapshot]


def make(decks: Decks, memory: Memory, clock: int, ids: IdAllocator) -> Packed:
    notes = [(deck, generate(cards, memory.slots)) for deck, cards in decks]
    return build_package(notes, memory, clock, ids)


class Packer:
    def __init__(self, memory: Memory, clock: int, parallel: bool) -> None:
        self.memory = memory
        self.clock = clock
        self.ids = IdAllocator(memory, clock)
        self.worker: Any = None
        if not parallel:
            return
        # fork, not spawn: the worker starts with the previous build's memory and the id
        # allocator as they are now, without pickling them.
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe()
        self.worker = context.Process(
            target=_work, args=(child, self.conn, memory, clock, self.ids), daemon=True
        )
        self.worker.start()
        child.close()
        # A thread takes each result as soon as it is sent: a worker blocked sending one
        # while this process blocks sending it the next would deadlock on the pipe.
        self.results: queue.Queue[tuple[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.done: list[Packed] = []
        self.sent = 0

    def pack(self, decks: Decks) -> Callable[[], Packed]:
        """Start making a package; the function returned gives it once it is ready."""
        if self.worker is None:
            packed = make(decks, self.memory, self.clock, self.ids)
            return lambda: packed
        # Locations stay here: they are parser marks, and only messages need them.
        portable = [
            (name, [dataclasses.replace(card, value_locs={}) for card in cards])
            for name, cards in decks
        ]
        index = self.sent
        self.sent += 1
        self.conn.send(portable)
        return lambda: self._result(index)

    def _read(self) -> None:
        try:
            while True:
                message = self.conn.recv()
                self.results.put(message)
                if message[0] == "stopped":
                    return
        except (EOFError, OSError):
            self.results.put(("error", "the worker process ended early"))

    def _result(self, index: int) -> Packed:
        while len(self.done) <= index:
            status, value = self.results.get()
            if status != "ok":
                raise RuntimeError(f"making decks failed in the worker process:\n{value}")
            self.done.append(value)
        return self.done[index]

    def close(self) -> None:
        if self.worker is None:
            return
        try:
            self.conn.send(None)  # no more work: the worker says "stopped" and ends
        except OSError:
            pass
        self.worker.join(timeout=10)
        if self.worker.is_alive():
            self.worker.kill()
        self.conn.close()


def _work(conn: Any, parents_end: Any, memory: Memory, clock: int, ids: IdAllocator) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the main process
    parents_end.close()  # the forked copy of the other end of the pipe
    while (decks := conn.recv()) is not None:
        try:
            conn.send(("ok", make(decks, memory, clock, ids)))
        except Exception:
            conn.send(("error", traceback.format_exc()))
    conn.send(("stopped", None))
