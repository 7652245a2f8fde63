#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets: fuzz/corpus/<what>/ for fuzz_<what>.

    /usr/bin/python3 fuzz/make_seeds.py [--hyperiond build/ci/daemon/hyperiond]

Two kinds of seeds:
  * byte-for-byte copies (like cp) of the matching files of the fixture trees under
    tests/fixtures/ (/proc, /sys and /etc files; the config fixtures), at most
    MAX_FILES files and MAX_BYTES bytes per target;
  * hand-made inputs for what has no fixture: HTTP requests, WebSocket frames, access
    tokens signed with the key of fuzz_jwt.cpp, TOML from docs/CONFIGURATION.md and
    `hyperiond --print-config`, JSON request bodies, virtualization evidence.

It only writes the files it names and never deletes any, so inputs added by hand (the
regression-* files: inputs that once crashed a target) stay. Standard library only.
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
CORPUS = ROOT / "fuzz" / "corpus"
MAX_FILES = 30
MAX_BYTES = 200 * 1024

# fuzz_jwt.cpp's key and clock.
JWT_KEY = b"hyperion-fuzz-key-0123456789abcd"
NOW_S = 1_700_000_000

# Fixture files per target, as globs relative to a fixture tree (tests/fixtures/<machine>/).
FIXTURE_GLOBS = {
    "proc_stat": ["proc/stat"],
    "proc_meminfo": ["proc/meminfo"],
    "proc_loadavg": ["proc/loadavg"],
    "proc_uptime": ["proc/uptime"],
    "proc_pressure": ["proc/pressure/*"],
    "proc_cpuinfo": ["proc/cpuinfo"],
    "proc_diskstats": ["proc/diskstats"],
    "proc_net_dev": ["proc/net/dev", "proc/net/dev.*"],
    "proc_net_sockets": ["proc/net/tcp", "proc/net/tcp6", "proc/net/udp", "proc/net/udp6"],
    "proc_pid_stat": ["proc/[0-9]*/stat"],
    "proc_pid_statm": ["proc/[0-9]*/statm"],
    "proc_pid_io": ["proc/[0-9]*/io"],
    "proc_pid_cmdline": ["proc/[0-9]*/cmdline"],
    "proc_pid_cgroup": ["proc/[0-9]*/cgroup"],
    "proc_self_mountinfo": ["proc/self/mountinfo", "proc/[0-9]*/mountinfo"],
    "sys_class_net": ["sys/class/net/*/*"],
    "sys_hwmon": ["sys/class/hwmon/*/*", "sys/class/thermal/*/*"],
    "etc_passwd": ["etc/passwd"],
    "os_release": ["etc/os-release", "usr/lib/os-release"],
    # The helpers every parser uses: a few files with escapes, colons, hex and numbers.
    "text": ["proc/self/mountinfo", "proc/net/tcp", "proc/loadavg", "etc/passwd", "proc/pressure/io"],
}


def fixture_trees():
    """The machine trees (tests/fixtures/<machine>/ with proc/, sys/ or etc/), not config/."""
    return sorted(p for p in FIXTURES.iterdir()
                  if p.is_dir() and any((p / d).is_dir() for d in ("proc", "sys", "etc", "usr")))


class Corpus:
    """The seeds of one target, within the file and byte budget."""

    def __init__(self, what, max_files=MAX_FILES):
        self.dir = CORPUS / what
        self.dir.mkdir(parents=True, exist_ok=True)
        self.files = 0
        self.bytes = 0
        self.max_files = max_files

    def add(self, name, data):
        if isinstance(data, str):
            data = data.encode()
        if self.files >= self.max_files or self.bytes + len(data) > MAX_BYTES:
            return False
        (self.dir / name).write_bytes(data)
        self.files += 1
        self.bytes += len(data)
        return True


def copy_fixtures(what, globs, corpus):
    seen = set()
    for tree in fixture_trees():
        for pattern in globs:
            for path in sorted(tree.glob(pattern)):
                if not path.is_file():
                    continue
                data = path.read_bytes()
                digest = hashlib.sha1(data).hexdigest()
                if digest in seen:  # the same bytes in two trees: one seed is enough
                    continue
                seen.add(digest)
                name = tree.name + "__" + str(path.relative_to(tree)).replace("/", "_")
                corpus.add(name, data)


# --- HTTP requests ---------------------------------------------------------------------------

def http_request(method, target, headers=(), body=b"", version="1.1"):
    lines = [f"{method} {target} HTTP/{version}"] + [f"{k}: {v}" for k, v in headers]
    if isinstance(body, str):
        body = body.encode()
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def http_seeds(c):
    host = ("Host", "127.0.0.1:9800")
    c.add("get_cpu", http_request("GET", "/api/v1/hosts/local/cpu", [
        host, ("User-Agent", "curl/7.88.1"), ("Accept", "*/*"), ("Accept-Encoding", "gzip, deflate, br")]))
    c.add("get_processes_query", http_request("GET", "/api/v1/hosts/local/processes?sort=cpu&limit=20&user=r%C3%B6ot+x", [
        host, ("Authorization", "Bearer hyp_0123456789abcdefghijklmnopqrstuv"), ("Accept-Encoding", "gzip;q=0, *;q=0.5")]))
    c.add("get_cookie_proxy", http_request("GET", "/api/v1/hosts/local/processes/1234", [
        ("Host", "hyperion.example.org"),
        ("Cookie", "theme=dark; hyperion_access=eyJhbGciOiJIUzI1NiJ9.e30.sig; hyperion_csrf=Zm9vYmFy"),
        ("X-Forwarded-For", "203.0.113.7, 10.0.0.2"),
        ("Forwarded", 'for=192.0.2.60;proto=https;by=203.0.113.43, for="[2001:db8:cafe::17]:4711"'),
        ("Origin", "https://hyperion.example.org")]))
    c.add("head_healthz", http_request("HEAD", "/healthz", [host]))
    c.add("get_metrics_http10", http_request("GET", "/metrics", [("Accept", "text/plain")], version="1.0"))
    c.add("get_openapi_encoded_path", http_request("GET", "/api/v1/%6Fpenapi.json", [host]))
    c.add("get_dashboard_asset", http_request("GET", "/assets/main-3F2A9C1D.js", [host, ("If-None-Match", '"abc"')]))
    body = json.dumps({"username": "admin", "password": "correct horse battery staple"}, separators=(",", ":"))
    c.add("post_login", http_request("POST", "/api/v1/auth/login", [
        host, ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
        ("Origin", "http://127.0.0.1:9800")], body))
    body = '{"display_name":"Ops","enabled":false}'
    c.add("patch_user_cookie_csrf", http_request("PATCH", "/api/v1/users/alice", [
        host, ("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body))),
        ("Cookie", "hyperion_access=a.b.c; hyperion_csrf=t0k3n"), ("X-CSRF-Token", "t0k3n")], body))
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (b'{"name":"ci",', b'"role":"viewer"}')) + b"0\r\n\r\n"
    c.add("post_token_chunked", http_request("POST", "/api/v1/auth/tokens", [
        host, ("Content-Type", "application/json"), ("Transfer-Encoding", "chunked"),
        ("Authorization", "Bearer a.b.c")], chunks))
    c.add("websocket_upgrade", http_request("GET", "/api/v1/live", [
        host, ("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ("Sec-WebSocket-Version", "13"), ("Origin", "http://127.0.0.1:9800"),
        ("Cookie", "hyperion_access=x.y.z")]))
    c.add("options_preflight", http_request("OPTIONS", "/api/v1/hosts", [
        host, ("Origin", "https://grafana.example.org"), ("Access-Control-Request-Method", "GET"),
        ("Access-Control-Request-Headers", "authorization")]))
    c.add("delete_token", http_request("DELETE", "/api/v1/auth/tokens/42", [host, ("Authorization", "Bearer hyp_x")]))
    c.add("pipelined", http_request("GET", "/api/v1/hosts", [host]) +
          http_request("GET", "/api/v1/hosts/local/memory", [host, ("Connection", "keep-alive")]) +
          http_request("GET", "/api/v1/hosts/local/load", [host, ("Connection", "close")]))
    c.add("bad_escape", http_request("GET", "/api/v1/hosts/%zz/cpu?x=%4", [host]))


# --- WebSocket frames ------------------------------------------------------------------------

def ws_frame(opcode, payload=b"", fin=True, mask=b"\x37\xfa\x21\x3d"):
    """A client frame: clients must mask (RFC 6455 5.3)."""
    if isinstance(payload, str):
        payload = payload.encode()
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


TEXT, BINARY, CONTINUATION, CLOSE, PING, PONG = 1, 2, 0, 8, 9, 10


def websocket_seeds(c):
    sub = '{"subscribe":["hosts/local/cpu"]}'
    c.add("subscribe_cpu", ws_frame(TEXT, sub))
    c.add("subscribe_many", ws_frame(TEXT, json.dumps({"subscribe": [
        "hosts/local/cpu", "hosts/local/memory", {"topic": "hosts/local/processes", "interval_ms": 5000},
        {"topic": "hosts/local/disks", "interval_ms": 10}, "hosts/other/load", "hosts//cpu", 7]})))
    c.add("unsubscribe", ws_frame(TEXT, '{"unsubscribe":["hosts/local/cpu","hosts/local/sensors"]}'))
    c.add("auth_then_subscribe", ws_frame(TEXT, '{"auth":"eyJhbGciOiJIUzI1NiJ9.e30.c2ln"}') +
          ws_frame(TEXT, '{"auth":"x.y.z","subscribe":["hosts/local/network"]}'))
    c.add("bad_messages", ws_frame(TEXT, "[1,2]") + ws_frame(TEXT, '{"subscribe":"hosts/local/cpu"}') +
          ws_frame(TEXT, '{"hello":1}') + ws_frame(TEXT, "{not json"))
    c.add("ping_pong_close", ws_frame(PING, "keepalive") + ws_frame(PONG, "") + ws_frame(TEXT, sub) +
          ws_frame(CLOSE, struct.pack("!H", 1000) + b"bye"))
    c.add("fragmented", ws_frame(TEXT, '{"subscribe":["hosts/', fin=False) + ws_frame(PING, "mid") +
          ws_frame(CONTINUATION, 'local/filesystems"]}'))
    c.add("binary", ws_frame(BINARY, sub))
    topics = [f"hosts/local/{f}" for f in ("system", "host", "cpu", "memory", "load", "processes", "network",
                                          "sockets", "disks", "filesystems", "sensors")]
    c.add("medium_length", ws_frame(TEXT, json.dumps({"subscribe": topics * 3})))  # 16-bit length
    c.add("over_limit", ws_frame(TEXT, json.dumps({"subscribe": topics * 40})))   # > read_message_max
    c.add("unmasked", bytes([0x81, len(sub)]) + sub.encode())                     # a protocol error
    c.add("close_no_code", ws_frame(CLOSE))


# --- access tokens and encodings -----------------------------------------------------------

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(header, payload, key=JWT_KEY, signature=None):
    signing_input = b64url(header.encode()) + "." + b64url(payload.encode())
    if signature is None:
        signature = b64url(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())
    return signing_input + "." + signature


def claims(**overrides):
    # The members in sign_access_token's order; iat carries milliseconds as a fraction.
    c = {"sub": "u-7f3c9a", "name": "alice", "role": "admin", "scope": "read act admin", "sid": "fam-01",
         "jti": "jti-01", "iat": NOW_S - 60 + 0.25, "exp": NOW_S + 900}
    c.update(overrides)
    return json.dumps(c, separators=(",", ":"))


def jwt_seeds(c):
    hs256 = '{"alg":"HS256","typ":"JWT"}'
    c.add("valid_admin", jwt(hs256, claims()))
    c.add("valid_viewer", jwt(hs256, claims(name="bob", role="viewer", scope="read", iat=NOW_S - 1)))
    c.add("expired", jwt(hs256, claims(exp=NOW_S - 1)))
    c.add("issued_in_future", jwt(hs256, claims(iat=NOW_S + 3600.5)))
    c.add("missing_claim", jwt(hs256, '{"sub":"u","name":"n","role":"viewer","iat":1,"exp":1700000900}'))
    c.add("wrong_types", jwt(hs256, '{"sub":7,"name":"n","role":"viewer","sid":"s","jti":"j","iat":"x","exp":1e300}'))
    c.add("alg_none", jwt('{"alg":"none"}', claims(), signature=""))
    c.add("alg_hs512", jwt('{"alg":"HS512","typ":"JWT"}', claims()))
    c.add("bad_signature", jwt(hs256, claims(), key=b"another key"))
    c.add("not_json", jwt("not json", "{", ))
    # fuzz_jwt.cpp's structured form: header and claims as JSON, signed by the target.
    c.add("json_valid", hs256 + "\0" + claims())
    c.add("json_operator", hs256 + "\0" + claims(role="operator", scope="read act", sid="fam-02", exp=NOW_S + 60))
    c.add("json_alg_none", '{"alg":"none"}\0' + claims())
    c.add("api_token", "hyp_" + b64url(bytes(range(24))))
    c.add("base32_secret", "JBSWY3DPEHPK3PXP")
    c.add("base32_spaced", "jbsw y3dp ehpk 3pxp ====")
    c.add("base64url_padded", b64url(b"\xff\xfe\xfd\x00") + "==")


# --- configuration ---------------------------------------------------------------------------

def toml_seeds(c, hyperiond):
    for path in sorted((FIXTURES / "config").glob("*.toml")):
        c.add("fixture__" + path.name, path.read_bytes())
    doc = (ROOT / "docs" / "CONFIGURATION.md").read_text()
    for i, block in enumerate(re.findall(r"```toml\n(.*?)```", doc, re.S)):
        c.add(f"configuration_md_{i}.toml", block)
    candidates = [Path(hyperiond)] if hyperiond else [ROOT / "build" / d / "daemon" / "hyperiond" for d in ("ci", "fuzz")]
    for binary in candidates:
        if binary.is_file():
            # A clean environment: HYPERION_* variables would change the output.
            out = subprocess.run([str(binary), "--print-config"], env={"PATH": "/usr/bin:/bin"},
                                 capture_output=True, check=True).stdout
            c.add("print_config.toml", out)
            break
    else:
        print("make_seeds.py: no hyperiond built: print_config.toml not written", file=sys.stderr)
    c.add("types.toml", 'log_level = "debug"\nlisten = "[::1]:0"\n[http]\nmax_body_bytes = "1MiB"\n'
                        'header_timeout = "2.5s"\ncors_allowed_origins = "https://a.example, https://b.example"\n'
                        '[live]\nping_interval = "15s"\n[collectors]\ninclude_pseudo_filesystems = true\n')
    c.add("inline_tables.toml", 'http = { max_connections = 10, idle_timeout = "1m" }\n'
                                '"intervals".cpu = "500ms"\n[tls]\ncertificate = """/etc/ssl/a\\u00e9.pem"""\n')


def json_body_seeds(c):
    bodies = {
        "login": {"username": "admin", "password": "correct horse battery staple"},
        "login_otp": {"username": "alice", "password": "pw" * 8, "otp": "123456"},
        "refresh": {"refresh_token": "rt_" + "A" * 40},
        "password": {"current_password": "old password 1", "new_password": "new password 22"},
        "totp_confirm": {"code": "654321"},
        "token": {"name": "ci", "role": "viewer", "expires_in_days": 30, "password": "pw"},
        "user_create": {"name": "bob", "display_name": "Bob B\u00e9", "role": "operator", "password": "x" * 12,
                        "must_change_password": True},
        "user_patch": {"display_name": "Ops", "role": "admin", "enabled": False},
        "user_password": {"password": "temporary pw 1", "temporary": True},
        "wrong_type": {"username": 1, "password": None},
        "unknown_field": {"username": "a", "password": "b", "admin": True},
        "negative_days": {"name": "ci", "expires_in_days": -1, "password": "pw"},
        "float_days": {"name": "ci", "expires_in_days": 1.5, "password": "pw"},
        "too_long": {"code": "1" * 17},
    }
    for name, body in bodies.items():
        c.add(name + ".json", json.dumps(body, ensure_ascii=False))
    c.add("empty", b"")
    c.add("array.json", "[1,2,3]")
    c.add("duplicate_keys.json", '{"username":"a","username":"b","password":"p"}')
    c.add("escapes.json", '{"username":"\\u0000\\ud83d\\ude00","password":"\\"\\\\\\/"}')
    c.add("deep.json", "[" * 200 + "]" * 200)
    c.add("big_number.json", '{"expires_in_days":18446744073709551616,"name":"n","password":"p"}')


# --- virtualization evidence ---------------------------------------------------------------

def evidence(flags=0, sys_vendor="", product="", bios="", hypervisor="", environ=b"", cgroup="", osrelease="",
             clocksource="", fadt=b""):
    """fuzz_virtualization.cpp's input: a flags byte, then the fields separated by 0x1E."""
    def b(x):
        return x.encode() if isinstance(x, str) else x
    fields = [sys_vendor, product, bios, hypervisor, environ, cgroup, osrelease, clocksource, fadt]
    return bytes([flags]) + b"\x1e".join(b(f) for f in fields)


def virtualization_seeds(c):
    tree = FIXTURES / "debian12-6.18-x86_64"

    def read(rel):
        p = tree / rel
        return p.read_bytes() if p.is_file() else b""

    c.add("debian12_firecracker", evidence(
        1, osrelease=read("proc/sys/kernel/osrelease"),
        clocksource=read("sys/devices/system/clocksource/clocksource0/available_clocksource"),
        fadt=read("sys/firmware/acpi/tables/FACP"), cgroup=read("proc/1/cgroup")))
    c.add("kvm", evidence(1, sys_vendor="QEMU\n", product="Standard PC (Q35 + ICH9, 2009)\n", bios="SeaBIOS\n",
                          clocksource="tsc kvm-clock acpi_pm \n"))
    c.add("vmware", evidence(1, sys_vendor="VMware, Inc.\n", product="VMware Virtual Platform\n"))
    c.add("hyperv", evidence(1, sys_vendor="Microsoft Corporation\n", product="Virtual Machine\n",
                             clocksource="hyperv_clocksource_tsc_page acpi_pm\n"))
    c.add("xen", evidence(1, hypervisor="xen\n"))
    c.add("ec2", evidence(1, sys_vendor="Amazon EC2\n", bios="Amazon EC2\n"))
    c.add("gce", evidence(1, sys_vendor="Google\n", product="Google Compute Engine\n"))
    c.add("virtualbox", evidence(1, sys_vendor="innotek GmbH\n", product="VirtualBox\n", bios="innotek GmbH\n"))
    c.add("docker", evidence(2, cgroup="0::/\n", environ=b"PATH=/usr/bin\0HOSTNAME=abc\0"))
    c.add("podman", evidence(4, environ=b"container=podman\0HOME=/root\0"))
    c.add("nspawn", evidence(0, environ=b"container=systemd-nspawn\0"))
    c.add("lxc", evidence(0, environ=b"container=lxc\0", cgroup="0::/lxc.payload.c1/init.scope\n"))
    c.add("kubepods_v1", evidence(0, cgroup="12:cpuset:/kubepods/besteffort/pod1/0123abcd\n"
                                            "1:name=systemd:/kubepods/besteffort/pod1/0123abcd\n"))
    c.add("wsl2", evidence(0, osrelease="5.15.90.1-microsoft-standard-WSL2\n"))
    c.add("wsl1", evidence(0, osrelease="4.4.0-19041-Microsoft\n"))
    c.add("bare_metal", evidence(0, sys_vendor="Dell Inc.\n", product="PowerEdge R740\n", cgroup="0::/init.scope\n",
                                 clocksource="tsc hpet acpi_pm \n"))


# --- the containers family's files ----------------------------------------------------------

def cgroup_seeds(c):
    """fuzz_cgroups.cpp's input: ten fields separated by 0x1E, taken from the cgroup fixture trees."""
    def read(tree, rel):
        p = FIXTURES / tree / rel
        return p.read_bytes() if p.is_file() else b""

    v2 = "synthetic-cgroupv2-tree"
    v1 = "synthetic-cgroupv1-hybrid"
    docker_id = "f31f384749f9115acf01fcf82f5a966b59dcc0a4cbd7c9740888c0bf32aa2bbb"
    paths = ["/system.slice/nginx.service", f"/system.slice/docker-{docker_id}.scope", f"/docker/{docker_id}",
             f"/kubepods.slice/kubepods-besteffort.slice/cri-containerd-{docker_id}.scope",
             f"/machine.slice/libpod-{docker_id}.scope", "/user.slice/user-1000.slice/session-2.scope", "/mygroup"]
    docker = b'{"ID":"x","Name":"/web","MountPoints":{"/data":{"Name":"vol"}},"Config":{"Labels":{"Name":"y"}}}'
    podman = ('[{"id":"%s","names":["db"]},{"id":"abc","names":[]}]' % docker_id).encode()
    for i, path in enumerate(paths):
        fields = [
            read(v2, "sys/fs/cgroup/system.slice/cpu.stat") or b"usage_usec 123\nuser_usec 100\nsystem_usec 23\n",
            read(v2, "sys/fs/cgroup/system.slice/memory.current") or b"4096\n",
            b"max\n" if i % 2 else b"1073741824\n",
            b"9223372036854771712\n" if i % 2 else b"536870912\n",
            b"5000000000\n",
            b"8:0 rbytes=1024 wbytes=2048 rios=1 wios=2 dbytes=0 dios=0\n",
            b"8:0 Read 1024\n8:0 Write 2048\n8:0 Total 3072\nTotal 3072\n",
            path.encode(), docker, podman]
        c.add(f"cgroup_{i}", b"\x1e".join(fields))
    c.add("v1_blkio", b"\x1e".join([b"", b"", b"", read(v1, "sys/fs/cgroup/memory/memory.limit_in_bytes"), b"",
                                    b"", read(v1, "sys/fs/cgroup/blkio/blkio.throttle.io_service_bytes"), b"/", b"",
                                    b""]))


# --- sock_diag replies -----------------------------------------------------------------------

def sock_diag_message(msg_type, seq, family, state, sport, dport, inode, uid=0):
    """One netlink message: nlmsghdr + inet_diag_msg (72 bytes), IPv4 or IPv6 loopback."""
    addr = b"\x7f\x00\x00\x01" + b"\x00" * 12 if family == 2 else b"\x00" * 15 + b"\x01"
    body = struct.pack("<BBBB", family, state, 0, 0) + struct.pack(">HH", sport, dport) + addr + addr
    body += struct.pack("<I", 1) + struct.pack("<II", 0, 0) + struct.pack("<IIIII", 0, 0, 0, uid, inode)
    return struct.pack("<IHHII", 16 + len(body), msg_type, 2, seq, 0) + body


def sock_diag_seeds(c):
    """fuzz_sock_diag.cpp's input: a byte (bit 0: UDP; the rest: the sequence), then a datagram."""
    done = struct.pack("<IHHIIi", 20, 3, 2, 5, 0, 0)
    tcp = sock_diag_message(18, 5, 2, 10, 9800, 0, 12345) + sock_diag_message(18, 5, 10, 1, 9800, 40000, 12346, 1000)
    c.add("tcp_two_then_done", bytes([5 << 1]) + tcp + done)
    c.add("tcp_more", bytes([5 << 1]) + tcp)
    c.add("udp_one", bytes([(5 << 1) | 1]) + sock_diag_message(20, 5, 2, 7, 53, 0, 777) + done)
    c.add("error", bytes([5 << 1]) + struct.pack("<IHHIIi", 36, 2, 0, 5, 0, -1) + b"\x00" * 16)
    c.add("wrong_seq", bytes([6 << 1]) + tcp + done)


class Bits:
    """A most-significant-first bit writer, as history/src/codec.cpp's BitWriter."""

    def __init__(self):
        self.bits = []

    def put(self, value, n):
        self.bits += [(value >> (n - 1 - i)) & 1 for i in range(n)]

    def bytes(self):
        padded = self.bits + [0] * (-len(self.bits) % 8)
        return bytes(int("".join(map(str, padded[i:i + 8])), 2) for i in range(0, len(padded), 8))


def history_chunk(times, values, scale=100.0):
    """A raw chunk (width 1) in the codec's format: header, then delta-of-delta times and
    scaled-integer value deltas in the codec's adaptive widths."""
    zz = lambda v: ((v << 1) ^ (v >> 63)) & (2 ** 64 - 1)
    b = Bits()
    last_t = last_d = last_q = width_bits = 0
    for i, (t, v) in enumerate(zip(times, values)):
        if i == 0:
            b.put(t & (2 ** 64 - 1), 64)
        else:
            d = t - last_t
            z = zz(d - last_d)
            for prefix, pbits, width in ((0, 1, 0), (0b10, 2, 7), (0b110, 3, 12), (0b1110, 4, 20), (0b1111, 4, 64)):
                if width == 64 or z < (1 << width):
                    b.put(prefix, pbits)
                    if width:
                        b.put(z, width)
                    break
            last_d = d
        last_t = t
        q = round(v * scale)
        z = zz(q - last_q)
        if z == 0:
            b.put(0, 1)
        else:
            need = max(1, z.bit_length())
            if need <= width_bits and width_bits - need <= 7:
                b.put(0b10, 2)
            else:
                width_bits = need
                b.put(0b110, 3)
                b.put(width_bits - 1, 6)
            b.put(z, width_bits)
        last_q = q
    codes = {100.0: 10, 1.0: 8, 10.0: 9, 1000.0: 11, 1 / 1024: 0x8A, 1 / 4096: 0x8C}
    header = bytes([1, 1, codes[scale]]) + varint(len(times))
    return header + b.bytes()


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def history_seeds(c):
    """fuzz_history.cpp's input: a first byte choosing chunk (0), selector (1) or time (2)."""
    t0 = 1_765_077_120_000
    c.add("chunk-regular", b"\0" + history_chunk([t0 + 1000 * i for i in range(60)], [12.5] * 60))
    c.add("chunk-jitter", b"\0" + history_chunk([t0 + 1000 * i + (i % 3) for i in range(40)],
                                                 [i * 0.37 % 9 for i in range(40)]))
    c.add("chunk-steps", b"\0" + history_chunk([t0, t0 + 5, t0 - 3600_000, t0 + 86_400_000], [0, 1e6, -5, 3]))
    for i, sel in enumerate(['cpu.percent{cpu="all",mode="busy"}', 'fs.used_percent{fstype!="tmpfs"}',
                             'fs.used_percent{mount="/mnt/a \\"b\\""}', "memory.used_bytes", "cpu.percent{"]):
        c.add(f"selector-{i}", b"\1" + sel.encode())
    for i, t in enumerate(["2026-12-07T03:12:00Z", "2026-12-07T04:12:00.250+01:00", "-6h", "now", "1765077120000",
                           "2024-02-29 00:00:00z"]):
        c.add(f"time-{i}", b"\2" + t.encode())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hyperiond", help="hyperiond to take --print-config from (default: build/ci, build/fuzz)")
    args = parser.parse_args()

    for what, globs in FIXTURE_GLOBS.items():
        copy_fixtures(what, globs, Corpus(what, 12 if what == "text" else MAX_FILES))
    http_seeds(Corpus("http_request"))
    websocket_seeds(Corpus("websocket"))
    jwt_seeds(Corpus("jwt"))
    toml_seeds(Corpus("config_toml"), args.hyperiond)
    json_body_seeds(Corpus("json_body"))
    virtualization_seeds(Corpus("virtualization"))
    cgroup_seeds(Corpus("cgroups"))
    sock_diag_seeds(Corpus("sock_diag"))
    history_seeds(Corpus("history"))

    for d in sorted(CORPUS.iterdir()):
        files = list(d.iterdir())
        print(f"{d.name:20} {len(files):3} files {sum(f.stat().st_size for f in files):7} bytes")


if __name__ == "__main__":
    main()
