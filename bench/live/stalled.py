#!/usr/bin/python3
"""A WebSocket client of /api/v1/live that subscribes and then never reads (bench/live_bench.sh).

A raw socket with a small receive buffer (SO_RCVBUF set before connecting, so the window
stays small): it sends the upgrade, reads the 101 answer, sends one masked text frame
subscribing to the given topics, and from then on never reads and never writes, so it
never answers the daemon's pings either. It writes its local port to --port-file, then once
a second a line to stdout:

    seconds_since_subscribe  tcp_state  bytes_waiting_unread

until it is killed. (The daemon's side of the connection is what bench/live_bench.sh watches
with `ss`; this side only shows how much is stuck in its own receive queue.)
"""

import argparse
import base64
import fcntl
import os
import socket
import struct
import sys
import termios
import time

TCP_STATES = {1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2",
              6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING"}


def masked_text_frame(payload: bytes) -> bytes:
    assert len(payload) < 126
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + body


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--token", required=True, help="an access token (Authorization: Bearer)")
    p.add_argument("--rcvbuf", type=int, default=4096)
    p.add_argument("--port-file", required=True)
    p.add_argument("topics", nargs="+")
    a = p.parse_args()

    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    s.connect((a.host, a.port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /api/v1/live HTTP/1.1\r\nHost: {a.host}:{a.port}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Authorization: Bearer {a.token}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        # One byte at a time: read the answer's header and nothing after it.
        c = s.recv(1)
        if not c:
            sys.exit("stalled: the daemon closed the connection during the upgrade")
        head += c
    status = head.split(b"\r\n", 1)[0].decode()
    if " 101 " not in status:
        sys.exit(f"stalled: upgrade refused: {status}")
    topics = ", ".join(f'"{t}"' for t in a.topics)
    s.sendall(masked_text_frame(f'{{"subscribe": [{topics}]}}'.encode()))
    t0 = time.monotonic()
    with open(a.port_file + ".tmp", "w") as f:
        f.write(f"{s.getsockname()[1]} {s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)}\n")
    os.rename(a.port_file + ".tmp", a.port_file)
    while True:
        info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)
        unread = struct.unpack("i", fcntl.ioctl(s.fileno(), termios.FIONREAD, b"\0\0\0\0"))[0]
        print(f"{time.monotonic() - t0:.1f}\t{TCP_STATES.get(info[0], info[0])}\t{unread}", flush=True)
        time.sleep(1)


if __name__ == "__main__":
    main()
