"""Integration tests of hyperiond as a service: the real binary on 127.0.0.1, port 0,
spoken to over real sockets. Run by ctest with HYPERIOND set to the binary.

Each test class starts its own daemon (tight limits so that timeouts take a second, not a
minute) and stops it, checking it exits 0. Nothing listens anywhere but 127.0.0.1.
"""
import gzip
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

HYPERIOND = os.environ.get("HYPERIOND", "build/dev/daemon/hyperiond")
PROMTOOL = os.environ.get("PROMTOOL", "/usr/bin/promtool")


# Every daemon a test starts has an admin "tester", added with the real `hyperiond user add`
# before it starts; requests carry tester's access token unless a test says auth=False.
TEST_USER = "tester"
TEST_PASSWORD = "integration-test-password-1"
# Cheap password hashing, so that each login and `user add` costs milliseconds, not 100+.
AUTH_FAST = ("--auth-password-memory", "8MiB", "--auth-password-iterations", "1")


def add_user(data_dir, name, role, password, *extra):
    """`hyperiond user add` as a script runs it; returns the CompletedProcess."""
    return subprocess.run([HYPERIOND, "user", "add", name, "--role", role, "--password-stdin", "--data-dir", data_dir,
                           *AUTH_FAST, *extra], input=(password + "\n").encode(), capture_output=True, timeout=30)


class Daemon:
    """A running hyperiond; stop() sends SIGTERM and returns (exit code, seconds to exit)."""

    def __init__(self, *args, env=None, user=True, tls=None):
        self.dir = tempfile.TemporaryDirectory(prefix="hyperion-test-")
        self.data_dir = os.path.join(self.dir.name, "var")
        self.stderr_path = os.path.join(self.dir.name, "stderr.log")
        self.stderr = open(self.stderr_path, "w+b")
        self.token = None
        self.user = user
        self.tls = tls  # an ssl.SSLContext that trusts the daemon's certificate: speak HTTPS
        if user:
            r = add_user(self.data_dir, TEST_USER, "admin", TEST_PASSWORD)
            assert r.returncode == 0, r.stderr
        full_env = dict(os.environ)
        full_env.pop("JOURNAL_STREAM", None)
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [HYPERIOND, "--listen", "127.0.0.1:0", "--data-dir", self.data_dir, *AUTH_FAST, *args],
            stdout=subprocess.DEVNULL, stderr=self.stderr, env=full_env)
        self.port = self._wait_for_port()

    def login(self, name=TEST_USER, password=TEST_PASSWORD, otp=None):
        """POST /api/v1/auth/login; returns (status, headers, parsed body)."""
        body = {"username": name, "password": password}
        if otp is not None:
            body["otp"] = otp
        status, headers, raw = self.get("/api/v1/auth/login", method="POST", body=json.dumps(body),
                                        headers={"Content-Type": "application/json"}, auth=False)
        return status, headers, json.loads(raw)

    def access_token(self):
        if self.token is None and self.user:
            status, _, body = self.login()
            assert status == 200, body
            self.token = body["access_token"]
        return self.token

    def _wait_for_port(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            m = re.search(rb"listening on https?://127\.0\.0\.1:(\d+)", self.log_bytes())
            if m:
                return int(m.group(1))
            if self.proc.poll() is not None:
                raise RuntimeError("hyperiond exited: " + self.log())
            time.sleep(0.02)
        # Not listening in time: stop it, so that no daemon outlives the test that started it.
        self.proc.kill()
        self.proc.wait()
        raise RuntimeError("hyperiond did not start within 10 s: " + self.log())

    def log_bytes(self):
        with open(self.stderr_path, "rb") as f:
            return f.read()

    def log(self):
        return self.log_bytes().decode(errors="replace")

    def wait_ready(self, path="/api/v1/hosts/local/processes", timeout=10):
        """Until the first samples exist (the API answers 503 before)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, _, _ = self.get(path)
            if status == 200:
                return
            time.sleep(0.05)
        raise RuntimeError("no data after %ss" % timeout)

    def connection(self, timeout=5):
        if self.tls:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=self.tls)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def get(self, path, method="GET", headers=None, body=None, auth=True):
        headers = dict(headers or {})
        if auth and self.user:
            headers.setdefault("Authorization", "Bearer " + self.access_token())
        c = self.connection()
        try:
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
        finally:
            c.close()

    def raw(self, data, timeout=5):
        """Sends raw bytes on a new connection; returns everything read until the server closes."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            s.sendall(data)
            chunks = []
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks)
        finally:
            s.close()

    def stop(self, sig=signal.SIGTERM):
        start = time.monotonic()
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            code = None
        elapsed = time.monotonic() - start
        self.stderr.close()
        self.dir.cleanup()
        return code, elapsed


def problem(testcase, status, headers, body, want_status, want_type=None):
    """Asserts an RFC 9457 problem response."""
    testcase.assertEqual(status, want_status, body)
    testcase.assertEqual(headers.get("content-type"), "application/problem+json")
    doc = json.loads(body)
    testcase.assertEqual(doc["status"], want_status)
    testcase.assertTrue(doc["detail"])
    testcase.assertTrue(doc["title"])
    if want_type:
        testcase.assertTrue(doc["type"].endswith("/" + want_type), doc["type"])
    return doc


# Values for the query parameters a route requires (OpenAPI "required").
REQUIRED_VALUES = {"metric": "system.load1"}

FAST = ["--intervals-processes", "500ms", "--intervals-sockets", "500ms", "--intervals-cpu", "200ms",
        "--intervals-system", "200ms", "--intervals-memory", "200ms", "--intervals-network", "200ms",
        "--intervals-disks", "200ms", "--intervals-filesystems", "500ms", "--intervals-sensors", "500ms"]


class Routes(unittest.TestCase):
    """Every documented route answers; every error class has the right status and body."""

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon("--http-max-header-bytes", "2KiB", "--http-max-body-bytes", "1KiB", *FAST)
        cls.d.wait_ready()

    @classmethod
    def tearDownClass(cls):
        code, elapsed = cls.d.stop()
        assert code == 0, code

    def test_hosts_lists_the_registry(self):
        status, _, body = self.d.get("/api/v1/hosts")
        self.assertEqual(status, 200)
        hosts = json.loads(body)["hosts"]
        self.assertEqual([h["id"] for h in hosts], ["local"])
        self.assertEqual(hosts[0]["kind"], "local")
        self.assertEqual(hosts[0]["state"], "up")  # the class waited for the first samples
        self.assertTrue(hosts[0]["display_name"])
        self.assertGreater(hosts[0]["timestamp_ms"], 0)

    def test_every_documented_route_answers(self):
        status, headers, body = self.d.get("/api/v1/openapi.json")
        self.assertEqual(status, 200)
        doc = json.loads(body)
        paths = doc["paths"]
        self.assertGreaterEqual(len(paths), 16)
        for required in ["/healthz", "/metrics", "/api/v1/hosts", "/api/v1/hosts/{host}/system",
                         "/api/v1/hosts/{host}/processes", "/api/v1/hosts/{host}/processes/{pid}",
                         "/api/v1/hosts/{host}/sockets", "/api/v1/openapi.json"]:
            self.assertIn(required, paths)
        pid = self.d.proc.pid
        for path, ops in paths.items():
            url = path.replace("{host}", "local").replace("{pid}", str(pid)).replace("{name}", TEST_USER)
            for method in ops:
                if method != "get":  # changes: auth_test.py walks every route with each role
                    continue
                required = [p["name"] for p in ops[method].get("parameters", []) if p["in"] == "query" and p["required"]]
                if required:  # the history's metric: one the daemon records
                    url += "?" + "&".join("%s=%s" % (name, REQUIRED_VALUES[name]) for name in required)
                with self.subTest(path=path):
                    status, headers, body = self.d.get(url, method=method.upper())
                    if path == "/api/v1/live":  # a WebSocket (live_test.py): plain GET is 426
                        problem(self, status, headers, body, 426, "upgrade-required")
                        continue
                    if path in ("/", "/assets/{file}"):  # the dashboard: test_dashboard_is_served
                        continue
                    self.assertEqual(status, 200, body[:300])
                    if path == "/metrics":
                        self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"))
                    else:
                        self.assertEqual(headers["content-type"], "application/json")
                        json.loads(body)

    def test_documented_query_parameters_are_accepted(self):
        _, _, body = self.d.get("/api/v1/openapi.json")
        values = {"sort": "-cpu_percent", "order": "desc", "user": "root", "name": "hyperiond", "state": "S,R",
                  "limit": "5", "offset": "0", "protocol": "tcp", "port": "22", "local_port": "22",
                  "remote_port": "22", "pid": "1", "action": "login", "outcome": "success", "since": "0",
                  "until": "4102444800000", "host": "local", "from": "-5m", "to": "now", "points": "10", "at": "now",
                  **REQUIRED_VALUES}
        for path, ops in json.loads(body)["paths"].items():
            for op in ops.values():
                required = [p["name"] for p in op["parameters"] if p["in"] == "query" and p["required"]]
                for p in op["parameters"]:
                    if p["in"] != "query":
                        continue
                    value = "LISTEN" if path.endswith("/sockets") and p["name"] == "state" else values[p["name"]]
                    url = path.replace("{host}", "local") + "?%s=%s" % (p["name"], value)
                    for name in required:
                        if name != p["name"]:
                            url += "&%s=%s" % (name, values[name])
                    with self.subTest(url=url):
                        status, _, body2 = self.d.get(url)
                        self.assertEqual(status, 200, body2[:300])

    def test_data_comes_from_the_live_machine(self):
        _, _, body = self.d.get("/api/v1/hosts/local/processes/%d" % self.d.proc.pid)
        p = json.loads(body)["process"]
        self.assertEqual(p["comm"], "hyperiond")
        self.assertIn("--data-dir", p["cmdline"])
        _, _, body = self.d.get("/api/v1/hosts/local/memory")
        with open("/proc/meminfo") as f:
            total_kib = int(f.readline().split()[1])
        self.assertEqual(json.loads(body)["memory"]["total_bytes"], total_kib * 1024)

    def test_process_query_sort_filter_page(self):
        _, _, body = self.d.get("/api/v1/hosts/local/processes?sort=-rss_bytes&limit=5")
        doc = json.loads(body)["processes"]
        rss = [p["rss_bytes"] for p in doc["processes"]]
        self.assertEqual(len(rss), 5)
        self.assertEqual(rss, sorted(rss, reverse=True))
        self.assertGreater(doc["matched"], 5)
        _, _, body = self.d.get("/api/v1/hosts/local/processes?name=hyperiond")
        names = [p["comm"] for p in json.loads(body)["processes"]["processes"]]
        self.assertIn("hyperiond", names)
        _, _, body = self.d.get("/api/v1/hosts/local/processes?sort=pid&offset=2&limit=3")
        page = [p["pid"] for p in json.loads(body)["processes"]["processes"]]
        _, _, body = self.d.get("/api/v1/hosts/local/processes?sort=pid")
        every = [p["pid"] for p in json.loads(body)["processes"]["processes"]]
        self.assertEqual(page, every[2:5])

    def test_sockets_filter_finds_our_listener(self):
        _, _, body = self.d.get("/api/v1/hosts/local/sockets?state=LISTEN&local_port=%d" % self.d.port)
        time.sleep(0.6)  # the sockets family refreshes every 500 ms here
        _, _, body = self.d.get("/api/v1/hosts/local/sockets?state=listen&local_port=%d" % self.d.port)
        socks = json.loads(body)["sockets"]["sockets"]
        self.assertEqual(len(socks), 1, socks)
        self.assertEqual(socks[0]["pid"], self.d.proc.pid)
        self.assertEqual(socks[0]["process"], "hyperiond")

    def test_healthz(self):
        status, _, body = self.d.get("/healthz")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["status"], "ok")

    def test_not_found_and_method_not_allowed(self):
        problem(self, *self.d.get("/nope"), 404, "not-found")
        problem(self, *self.d.get("/api/v1/hosts/elsewhere/cpu"), 404, "unknown-host")
        problem(self, *self.d.get("/api/v1/hosts/local/processes/999999999"), 404, "no-such-process")
        status, headers, body = self.d.get("/api/v1/hosts", method="DELETE")
        problem(self, status, headers, body, 405, "method-not-allowed")
        self.assertEqual(headers["allow"], "GET, HEAD")

    def test_bad_input_is_400_with_a_reason(self):
        for url, kind in [("/api/v1/hosts/local/processes?sort=nope", "bad-parameter"),
                          ("/api/v1/hosts/local/processes?limit=-1", "bad-parameter"),
                          ("/api/v1/hosts/local/processes?limit=abc", "bad-parameter"),
                          ("/api/v1/hosts/local/processes?state=Q", "bad-parameter"),
                          ("/api/v1/hosts/local/processes?colour=red", "unknown-parameter"),
                          ("/api/v1/hosts/local/processes?sort=%zz", "bad-parameter"),
                          ("/api/v1/hosts/local/sockets?port=70000", "bad-parameter"),
                          ("/api/v1/hosts/local/sockets?protocol=sctp", "bad-parameter"),
                          ("/api/v1/hosts/local/processes/abc", "bad-pid"),
                          ("/api/v1/hosts/local/cpu?x=1", "unknown-parameter")]:
            with self.subTest(url=url):
                problem(self, *self.d.get(url), 400, kind)

    def test_malformed_requests(self):
        for raw in [b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET /healthz HTTP/1.1\r\nHost x\r\n\r\n",
                    b"GET healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", b"GET /a%zzb HTTP/1.1\r\nHost: localhost\r\n\r\n"]:
            with self.subTest(raw=raw):
                reply = self.d.raw(raw)
                self.assertTrue(reply.startswith(b"HTTP/1.1 400 "), reply[:100])
                self.assertIn(b"application/problem+json", reply)

    def test_limits_on_headers_and_body(self):
        big_header = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 4096 + b"\r\n\r\n"
        self.assertTrue(self.d.raw(big_header).startswith(b"HTTP/1.1 431 "))
        big_body = b"POST /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4096\r\n\r\n" + b"b" * 4096
        reply = self.d.raw(big_body)
        self.assertTrue(reply.startswith(b"HTTP/1.1 413 "), reply[:80])

    def test_head_has_get_headers_and_no_body(self):
        c = self.d.connection()
        auth = {"Authorization": "Bearer " + self.d.access_token()}
        c.request("GET", "/api/v1/hosts", headers=auth)
        r = c.getresponse()
        body = r.read()
        c.request("HEAD", "/api/v1/hosts", headers=auth)
        h = c.getresponse()
        self.assertEqual(h.status, 200)
        self.assertEqual(int(h.getheader("content-length")), len(body))
        self.assertEqual(h.read(), b"")
        c.close()

    def test_keep_alive_and_pipelining(self):
        s = socket.create_connection(("127.0.0.1", self.d.port), timeout=5)
        req = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
        s.sendall(req * 3 + b"GET /nope HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        s.close()
        statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", data)
        self.assertEqual(statuses, [b"200", b"200", b"200", b"404"])

    def test_http_1_0(self):
        reply = self.d.raw(b"GET /healthz HTTP/1.0\r\n\r\n")
        self.assertTrue(reply.startswith(b"HTTP/1.0 200 "), reply[:40])
        self.assertIn(b'"status":"ok"', reply)

    def test_gzip_when_accepted(self):
        status, headers, zipped = self.d.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
        self.assertEqual(headers.get("content-encoding"), "gzip")
        self.assertEqual(headers.get("vary"), "Accept-Encoding")
        _, plain_headers, plain = self.d.get("/api/v1/openapi.json")
        self.assertNotIn("content-encoding", plain_headers)
        self.assertEqual(gzip.decompress(zipped), plain)
        self.assertLess(len(zipped), len(plain) / 3)
        _, headers, _ = self.d.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip;q=0"})
        self.assertNotIn("content-encoding", headers)
        _, headers, small = self.d.get("/healthz", headers={"Accept-Encoding": "gzip"})
        self.assertNotIn("content-encoding", headers)  # under http.gzip_min_bytes

    def test_dashboard_is_served(self):
        status, headers, page = self.d.get("/")
        self.assertEqual(status, 200)
        self.assertEqual(headers["content-type"], "text/html; charset=utf-8")
        self.assertIn("frame-ancestors 'none'", headers["content-security-policy"])
        self.assertEqual(headers["x-content-type-options"], "nosniff")
        # The embedded gzip form is sent as it is: inflating once gives the page.
        _, zheaders, zipped = self.d.get("/", headers={"Accept-Encoding": "gzip"})
        self.assertEqual(zheaders.get("content-encoding"), "gzip")
        self.assertEqual(gzip.decompress(zipped), page)
        status, headers304, body = self.d.get("/", headers={"If-None-Match": headers["etag"]})
        self.assertEqual(status, 304)
        self.assertEqual(body, b"")
        for name in re.findall(rb'(?:src|href)="(assets/[^"]+)"', page):
            with self.subTest(asset=name):
                status, aheaders, body = self.d.get("/" + name.decode(), headers={"Accept-Encoding": "gzip"})
                self.assertEqual(status, 200)
                self.assertIn("immutable", aheaders["cache-control"])
                self.assertGreater(len(gzip.decompress(body)), 1000)
                status, hheaders, hbody = self.d.get("/" + name.decode(), method="HEAD")
                self.assertEqual((status, hbody), (200, b""))
                self.assertGreater(int(hheaders["content-length"]), len(body))
        self.assertEqual(len(re.findall(rb'(?:src|href)="(assets/[^"]+)"', page)), 2)
        status, headers, body = self.d.get("/assets/missing.js")
        problem(self, status, headers, body, 404, "not-found")

    def test_metrics_pass_promtool(self):
        status, headers, body = self.d.get("/metrics")
        self.assertEqual(status, 200)
        self.assertIn(b"node_cpu_seconds_total{", body)
        self.assertIn(b"hyperion_http_requests_total{", body)
        r = subprocess.run([PROMTOOL, "check", "metrics"], input=body, capture_output=True)
        findings = (r.stdout + r.stderr).decode()
        if r.returncode == 3:
            # Lint only: allowed for node_exporter's own names (camelCase node_memory_*, ...),
            # never for ours.
            for line in findings.splitlines():
                if line.strip():
                    self.assertFalse(line.startswith("hyperion_"), findings)
                    self.assertTrue(line.startswith("node_"), findings)
        else:
            self.assertEqual(r.returncode, 0, findings)


class SlowClients(unittest.TestCase):
    """Slow and half-open clients time out without holding anyone else up."""

    @classmethod
    def setUpClass(cls):
        cls.d = Daemon("--http-header-timeout", "1s", "--http-idle-timeout", "1500ms", "--http-max-connections",
                       "16", *FAST)
        cls.d.wait_ready()

    @classmethod
    def tearDownClass(cls):
        code, _ = cls.d.stop()
        assert code == 0, code

    def closed_within(self, s, seconds):
        s.settimeout(seconds)
        start = time.monotonic()
        try:
            while s.recv(4096):
                pass
        except socket.timeout:
            return None
        except ConnectionResetError:
            pass
        return time.monotonic() - start

    def test_slowloris_is_cut_while_others_are_served(self):
        slow = socket.create_connection(("127.0.0.1", self.d.port))
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        stop = threading.Event()

        def trickle():
            while not stop.is_set():
                try:
                    slow.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    return
                time.sleep(0.2)
        t = threading.Thread(target=trickle)
        t.start()
        # Meanwhile everyone else is served at once.
        for _ in range(20):
            start = time.monotonic()
            status, _, _ = self.d.get("/healthz")
            self.assertEqual(status, 200)
            self.assertLess(time.monotonic() - start, 0.5)
        elapsed = self.closed_within(slow, 5)
        stop.set()
        t.join()
        slow.close()
        self.assertIsNotNone(elapsed, "the trickling client was never cut off")

    def test_half_open_connection_times_out(self):
        s = socket.create_connection(("127.0.0.1", self.d.port))
        start = time.monotonic()
        self.assertIsNotNone(self.closed_within(s, 5))
        self.assertLess(time.monotonic() - start, 3)
        s.close()

    def test_idle_keep_alive_connection_times_out(self):
        s = socket.create_connection(("127.0.0.1", self.d.port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        s.settimeout(2)
        self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 200"))
        start = time.monotonic()
        self.assertIsNotNone(self.closed_within(s, 5))
        self.assertGreater(time.monotonic() - start, 1.0)
        s.close()


class Limits(unittest.TestCase):
    def test_connection_limit_answers_503_then_recovers(self):
        d = Daemon("--http-max-connections", "4", *FAST)
        try:
            # Four signed-in connections (kept alive): the limit is reached by clients with
            # credentials, so nobody can be evicted to make room.
            token = d.access_token()
            held = []
            for _ in range(4):
                s = socket.create_connection(("127.0.0.1", d.port))
                s.sendall(("GET /api/v1/hosts HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer %s\r\n\r\n"
                           % token).encode())
                self.assertTrue(s.recv(65536).startswith(b"HTTP/1.1 200 "))
                held.append(s)
            time.sleep(0.2)
            reply = d.raw(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            self.assertTrue(reply.startswith(b"HTTP/1.1 503 "), reply[:60])
            self.assertIn(b"Retry-After: 1", reply)
            self.assertIn(b"too-many-connections", reply)
            held.pop().close()
            time.sleep(0.2)
            status, _, _ = d.get("/healthz")
            self.assertIn(status, (200, 503))  # 503 only while the first sample is not ready
            for s in held:
                s.close()
            _, _, metrics = d.get("/metrics")
            self.assertRegex(metrics.decode(), r"hyperion_http_connections_rejected_total [1-9]")
        finally:
            code, _ = d.stop()
        self.assertEqual(code, 0)


class Lifecycle(unittest.TestCase):
    def test_shutdown_under_load_loses_no_accepted_response(self):
        d = Daemon(*FAST)
        d.wait_ready()
        results = {"complete": 0, "refused": 0, "truncated": 0}
        lock = threading.Lock()
        stop = threading.Event()

        def client():
            while not stop.is_set():
                try:
                    c = d.connection(timeout=5)
                    for _ in range(20):
                        c.request("GET", "/api/v1/hosts/local/processes")
                        r = c.getresponse()
                        body = r.read()
                        json.loads(body)  # a truncated body would not parse
                        with lock:
                            results["complete"] += 1
                        if r.getheader("connection") == "close":
                            break
                    c.close()
                except (ConnectionRefusedError, ConnectionResetError, BrokenPipeError,
                        http.client.RemoteDisconnected):
                    with lock:
                        results["refused"] += 1
                    time.sleep(0.01)
                except (http.client.IncompleteRead, ValueError) as e:
                    with lock:
                        results["truncated"] += 1
        threads = [threading.Thread(target=client) for _ in range(8)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        code, elapsed = d.stop()
        stop.set()
        for t in threads:
            t.join()
        self.assertEqual(code, 0)
        self.assertLess(elapsed, 2.0)
        self.assertGreater(results["complete"], 50)
        self.assertEqual(results["truncated"], 0, results)

    def test_sigint_stops_too(self):
        d = Daemon(*FAST)
        code, elapsed = d.stop(signal.SIGINT)
        self.assertEqual(code, 0)
        self.assertLess(elapsed, 2.0)

    def test_systemd_notify_ready_watchdog_stopping(self):
        path = tempfile.mktemp(prefix="hyperion-notify-")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(5)
        try:
            d = Daemon(*FAST, env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"})
            messages = []
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and sum("WATCHDOG=1" in m for m in messages) < 2:
                messages.append(sock.recv(4096).decode())
            code, _ = d.stop()
            while True:
                try:
                    sock.settimeout(0.5)
                    messages.append(sock.recv(4096).decode())
                except socket.timeout:
                    break
        finally:
            sock.close()
            os.unlink(path)
        self.assertEqual(code, 0)
        self.assertTrue(any("READY=1" in m for m in messages), messages)
        self.assertGreaterEqual(sum("WATCHDOG=1" in m for m in messages), 2, messages)
        self.assertTrue(any("STOPPING=1" in m for m in messages), messages)

    def test_sighup_reloads_and_a_bad_reload_keeps_running(self):
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            f.write('log_level = "info"\n[intervals]\ncpu = "1s"\n')
            path = f.name
        try:
            d = Daemon("--config", path)
            with open(path, "w") as f:
                f.write('log_level = "debug"\n[intervals]\ncpu = "500ms"\n')
            d.proc.send_signal(signal.SIGHUP)
            self.wait_for_log(d, "reloaded the configuration from " + path)
            with open(path, "w") as f:
                f.write('[intervals]\ncpu = "fast"\n')
            d.proc.send_signal(signal.SIGHUP)
            self.wait_for_log(d, "keeping the running configuration")
            self.assertIn(path + ":2:", d.log())
            status, _, _ = d.get("/healthz")
            self.assertIn(status, (200, 503))
            code, _ = d.stop()
            self.assertEqual(code, 0)
        finally:
            os.unlink(path)

    def wait_for_log(self, d, text):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if text in d.log():
                return
            time.sleep(0.05)
        self.fail("no %r in the log: %s" % (text, d.log()))


class StartUpErrors(unittest.TestCase):
    """A bad start is refused with one clear line and a non-zero status."""

    def run_daemon(self, *args):
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run([HYPERIOND, "--data-dir", os.path.join(tmp, "var"), *args], capture_output=True,
                               timeout=20)
        return r.returncode, r.stderr.decode()

    def test_bad_config_file_names_file_line_and_reason(self):
        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
            f.write('listen = "127.0.0.1:0"\n\n[htpp]\nmax_connections = 5\n')
            path = f.name
        try:
            code, err = self.run_daemon("--config", path)
        finally:
            os.unlink(path)
        self.assertEqual(code, 2)
        self.assertIn(path + ":", err)
        self.assertIn("htpp", err)

    def test_port_in_use(self):
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        try:
            code, err = self.run_daemon("--listen", "127.0.0.1:%d" % holder.getsockname()[1])
        finally:
            holder.close()
        self.assertEqual(code, 1)
        self.assertIn("Address already in use", err)

    def test_unknown_flag(self):
        code, err = self.run_daemon("--frobnicate")
        self.assertEqual(code, 2)
        self.assertIn("--frobnicate", err)


if __name__ == "__main__":
    unittest.main()
