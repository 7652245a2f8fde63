#!/usr/bin/python3
"""N WebSocket clients of /api/v1/live in one asyncio process (bench/live_bench.sh).

Opens --clients connections, --ramp at a time, each subscribing to --topic. When all are
subscribed (each has its acknowledgement and first frame) it writes --ready-file, waits for
--go-file (which holds the window's start, a wall time), records every frame for --seconds
from then, and writes one line per frame to --out:

    client  timestamp_ms  kernel_wall  read_wall  app_wall

All three are wall times (seconds) on the same clock as timestamp_ms (the snapshot's wall
time, taken by the daemon on this machine), so each minus timestamp_ms is a delay:
  kernel_wall  the kernel's receive time of the frame's last segment (SO_TIMESTAMPNS, read
               with recvmsg): when the daemon's send reached this socket, however busy this
               process is;
  read_wall    when this process's event loop read those bytes from the socket;
  app_wall     when `await ws.recv()` handed the message to the client's code.
The per-frame work is kept small: the timestamp is found by a string search, not by parsing
the JSON. After the window the clients stay connected, reading, until SIGTERM.

Needs Debian's python3-websockets (10.4): apt-get install python3-websockets.
"""

import argparse
import asyncio
import gc
import os
import resource
import signal
import socket
import struct
import sys
import time

try:
    import websockets
    import websockets.client
except ImportError:
    sys.exit("live_bench: python3-websockets is missing: apt-get install python3-websockets")

KEY = '"timestamp_ms":'
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # SCM_TIMESTAMPNS has the same value
ANC_SPACE = socket.CMSG_SPACE(16)


class StampedProtocol(websockets.client.WebSocketClientProtocol):
    """Reads the socket itself, with recvmsg, to get the kernel's receive time of each read.

    The selector transport still writes (the upgrade, the subscription, pongs) and closes;
    only its reading is replaced: the same bytes go to the same data_received, with two wall
    times kept for the latest read: the kernel's (SO_TIMESTAMPNS: when the last segment
    reached this socket, however busy this process is) and this process's (when its event
    loop got to the socket).
    """

    read_wall = 0.0
    kernel_wall = 0.0

    def connection_made(self, transport):
        super().connection_made(transport)
        self._sock = transport._sock   # the selector transport's socket (CPython 3.11)
        self._sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self._loop = asyncio.get_running_loop()
        # The transport adds its reader just after this call returns: swap it out after that.
        self._loop.call_soon(self._take_reading)

    def _take_reading(self):
        if self.transport.is_closing():
            return
        self.transport.pause_reading()   # removes the transport's reader ...
        self._loop._add_reader(self._sock.fileno(), self._readable)   # ... and puts ours instead

    def _readable(self):
        try:
            data, anc, _, _ = self._sock.recvmsg(262144, ANC_SPACE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            self._loop._remove_reader(self._sock.fileno())
            self.transport._force_close(e)
            return
        self.read_wall = time.time()
        for level, kind, value in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(value) >= 16:
                sec, nsec = struct.unpack("qq", value[:16])
                self.kernel_wall = sec + nsec * 1e-9
        if data:
            self.data_received(data)
        else:
            self._loop._remove_reader(self._sock.fileno())
            if not self.eof_received():
                self.transport.close()


def timestamp_of(message):
    i = message.find(KEY)
    if i < 0:
        return None
    i += len(KEY)
    j = i
    while message[j].isdigit():
        j += 1
    return int(message[i:j])


class Bench:
    def __init__(self, args):
        self.args = args
        self.recording = False
        self.stop = False
        self.rows = []             # (client, timestamp_ms, kernel_wall, read_wall, app_wall)
        self.errors = []
        self.subscribed = 0
        self.closed_early = 0

    async def client(self, i, ready):
        a = self.args
        try:
            ws = await websockets.client.connect(
                a.url, create_protocol=StampedProtocol, compression=None,
                extra_headers={"Authorization": "Bearer " + a.token},
                ping_interval=None,   # the daemon pings a silent client; we answer (pong) as any library does
                open_timeout=30, max_size=4 * 1024 * 1024, close_timeout=1,
                read_limit=2**24)   # never pause reading (the transport would take the socket back)
        except Exception as e:  # noqa: BLE001 - reported, counted
            self.errors.append(f"client {i}: connect: {type(e).__name__}: {e}")
            ready.set_result(False)
            return
        try:
            await ws.send('{"subscribe": ["%s"]}' % a.topic)
            got_ack = got_frame = False
            while not (got_ack and got_frame):
                m = await ws.recv()
                if m.startswith('{"ok"'):
                    got_ack = True
                elif m.startswith('{"topic"'):
                    got_frame = True
                else:
                    raise RuntimeError(f"unexpected answer: {m[:200]}")
            self.subscribed += 1
            ready.set_result(True)
            rows = self.rows
            while not self.stop:
                m = await ws.recv()
                app = time.time()
                if self.recording:
                    rows.append((i, timestamp_of(m), ws.kernel_wall, ws.read_wall, app))
        except websockets.ConnectionClosed as e:
            if not self.stop:
                self.closed_early += 1
                self.errors.append(f"client {i}: closed: {e}")
        except Exception as e:  # noqa: BLE001
            self.errors.append(f"client {i}: {type(e).__name__}: {e}")
        finally:
            if not ready.done():
                ready.set_result(False)
            if self.stop:
                ws.transport.abort()

    async def run(self):
        a = self.args
        tasks = []
        t0 = time.monotonic()
        for start in range(0, a.clients, a.ramp):
            batch = []
            for i in range(start, min(start + a.ramp, a.clients)):
                ready = asyncio.get_running_loop().create_future()
                tasks.append(asyncio.create_task(self.client(a.first_id + i, ready)))
                batch.append(ready)
            await asyncio.gather(*batch)
        ramp_s = time.monotonic() - t0
        with open(a.ready_file + ".tmp", "w") as f:
            f.write(f"{self.subscribed} {a.clients} {ramp_s:.3f}\n")
        os.rename(a.ready_file + ".tmp", a.ready_file)
        print(f"live_bench: {self.subscribed}/{a.clients} clients subscribed in {ramp_s:.1f} s",
              file=sys.stderr)
        while not os.path.exists(a.go_file):
            await asyncio.sleep(0.01)
        with open(a.go_file) as f:
            go_wall = float(f.read().split()[0])
        # The cyclic garbage collector would pause this process for ~15 ms at a time, while a
        # thousand frames wait: off for the window (the connections' objects live until the
        # end anyway). Pauses that still happen are reported.
        gc.freeze()
        gc.disable()
        gc_pauses = []
        gc_start = [0.0]

        def on_gc(phase, info):
            if phase == "start":
                gc_start[0] = time.perf_counter()
            elif self.recording:
                gc_pauses.append(time.perf_counter() - gc_start[0])
        gc.callbacks.append(on_gc)
        cpu0 = os.times()
        self.recording = True
        await asyncio.sleep(max(0.0, go_wall + a.seconds - time.time()))
        self.recording = False
        cpu1 = os.times()
        gc.enable()
        rows = self.rows
        with open(a.out + ".tmp", "w") as f:
            f.write(f"# subscribed={self.subscribed} clients={a.clients} ramp_s={ramp_s:.3f} "
                    f"window={go_wall:.6f}+{a.seconds} closed_early={self.closed_early} "
                    f"cpu_s={(cpu1.user - cpu0.user) + (cpu1.system - cpu0.system):.3f} "
                    f"errors={len(self.errors)} gc_collections={len(gc_pauses)} "
                    f"gc_ms_total={1000 * sum(gc_pauses):.1f} gc_ms_max={1000 * max(gc_pauses, default=0):.1f}\n")
            for e in self.errors[:20]:
                f.write(f"# error: {e}\n")
            f.write("".join(f"{c}\t{ts}\t{k:.6f}\t{r:.6f}\t{p:.6f}\n" for c, ts, k, r, p in rows))
        os.rename(a.out + ".tmp", a.out)
        self.rows = rows = None
        # The clients stay connected (reading, not recording) until SIGTERM, so that the
        # daemon can be profiled under the same load after the window.
        done = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, done.set)
        await done.wait()
        self.stop = True
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True, help="an access token (Authorization: Bearer)")
    p.add_argument("--topic", default="hosts/local/system")
    p.add_argument("--clients", type=int, default=1000)
    p.add_argument("--first-id", type=int, default=0)
    p.add_argument("--ramp", type=int, default=100)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--ready-file", required=True)
    p.add_argument("--go-file", required=True)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < a.clients + 64:
        sys.exit(f"live_bench: RLIMIT_NOFILE is {soft}; {a.clients} clients need more (ulimit -n 4096)")
    asyncio.run(Bench(a).run())


if __name__ == "__main__":
    main()
