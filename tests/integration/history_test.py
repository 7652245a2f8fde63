"""Integration tests of the history: the real hyperiond on 127.0.0.1 and its real SQLite file.

Recording   what a fresh daemon records, the query API and its errors, and a restart that
            keeps the last hour.
Kills       SIGKILL at random moments (some during seals and pruning): the file stays intact
            and every sample committed before a kill is there after it.
DiskFull    a size-limited tmpfs the test mounts fills up: live data goes on, the failure is
            logged once, writing resumes when space returns.
Refusals    a damaged or foreign database file is refused at start, named, and left as it is;
            `hyperiond user` on the running daemon's file leaves its WAL alone.
"""
import hashlib
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from server_test import AUTH_FAST, HYPERIOND, TEST_PASSWORD, TEST_USER, add_user, problem

# Short spans so that seals (every 10 s), roll-ups and pruning (raw kept 1 min) happen while
# the tests run; the defaults are 30 min and 7 days.
QUICK = ["--history-batch-interval", "1s", "--history-chunk-span", "10s", "--history-processes-interval", "5s",
         "--intervals-processes", "1s", "--intervals-filesystems", "1s", "--intervals-containers", "1s"]

BUSY = 'cpu.percent{cpu="all",mode="busy"}'
SEAL_S = 10  # --history-chunk-span in QUICK


class Hyperiond:
    """hyperiond on an existing data directory (made by the test), not removed at stop."""

    def __init__(self, data_dir, *args):
        self.data_dir = data_dir
        self.log_path = os.path.join(data_dir, "..", "stderr-%d.log" % time.monotonic_ns())
        self.log_file = open(self.log_path, "w+b")
        self.token = None
        env = dict(os.environ)
        env.pop("JOURNAL_STREAM", None)
        self.proc = subprocess.Popen([HYPERIOND, "--listen", "127.0.0.1:0", "--data-dir", data_dir, *AUTH_FAST, *args],
                                     stdout=subprocess.DEVNULL, stderr=self.log_file, env=env)
        self.port = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.log())
            if m:
                self.port = int(m.group(1))
                return
            if self.proc.poll() is not None:
                return
            time.sleep(0.02)
        self.kill()
        raise RuntimeError("hyperiond did not start: " + self.log())

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def get(self, path, token=True):
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {}
        if token:
            if self.token is None:
                c2 = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                c2.request("POST", "/api/v1/auth/login", body=json.dumps({"username": TEST_USER, "password": TEST_PASSWORD}),
                           headers={"Content-Type": "application/json"})
                r = c2.getresponse()
                body = r.read()
                c2.close()
                assert r.status == 200, body
                self.token = json.loads(body)["access_token"]
            headers["Authorization"] = "Bearer " + self.token
        try:
            c.request("GET", path, headers=headers)
            r = c.getresponse()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
        finally:
            c.close()

    def post_login(self):
        import http.client
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            c.request("POST", "/api/v1/auth/login", body=json.dumps({"username": TEST_USER, "password": TEST_PASSWORD}),
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
        finally:
            c.close()

    def history(self, *metrics, **params):
        q = [("metric", m) for m in metrics] + list(params.items())
        status, headers, body = self.get("/api/v1/hosts/local/history?" + urllib.parse.urlencode(q))
        assert status == 200, body
        return json.loads(body)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.log_file.close()

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=15)
        self.log_file.close()
        return code


def new_data_dir(parent):
    data_dir = os.path.join(parent, "var")
    r = add_user(data_dir, TEST_USER, "admin", TEST_PASSWORD)
    assert r.returncode == 0, r.stderr
    return data_dir


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def journal_times(blob):
    """The sample times of one history_journal row (the format of history/src/store.cpp)."""
    assert blob[0] == 1
    pos, t, times = 1, 0, []

    def varint():
        nonlocal pos
        v, shift = 0, 0
        while True:
            b = blob[pos]
            pos += 1
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                return v
            shift += 7

    while pos < len(blob):
        zz = varint()
        t += (zz >> 1) ^ -(zz & 1)
        times.append(t)
        for _ in range(varint()):
            varint()
            if varint() & 1:
                pos += 8
    return times


def committed_memory_time(db_file):
    """The newest time of memory.used_bytes committed to the file (journal or sealed chunk)."""
    con = sqlite3.connect("file:%s?mode=ro" % db_file, uri=True, timeout=10)
    try:
        row = con.execute("SELECT id FROM history_series WHERE host = 'local' AND key = 'memory.used_bytes'").fetchone()
        if not row:
            return None
        newest = con.execute("SELECT max(end_ms) FROM history_chunks WHERE series_id = ? AND tier = 0",
                             (row[0],)).fetchone()[0] or 0
        # A journal frame holds every series of a tick; memory is in each of its frames.
        for (blob,) in con.execute("SELECT data FROM history_journal"):
            times = journal_times(blob)
            if times:
                newest = max(newest, max(times))
        return newest or None
    finally:
        con.close()


def integrity(db_file):
    con = sqlite3.connect(db_file, timeout=10)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


class Recording(unittest.TestCase):
    """A fresh daemon records history; the API answers it, and its errors name the parameter."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="hyperion-history-")
        cls.data_dir = new_data_dir(cls.tmp.name)
        cls.d = Hyperiond(cls.data_dir, *QUICK)
        cls.started_ms = int(time.time() * 1000)
        # Three seals and two process lists.
        wait_for(lambda: cls.d.get("/api/v1/hosts/local/history/processes?from=-1h")[2].count(b'"time_ms"') >= 2, 30,
                 "two process lists")
        time.sleep(max(0, 25 - (time.time() * 1000 - cls.started_ms) / 1000))

    @classmethod
    def tearDownClass(cls):
        if cls.d.proc.poll() is None:
            assert cls.d.stop() == 0
        cls.tmp.cleanup()

    def test_catalog_lists_every_family(self):
        status, _, body = self.d.get("/api/v1/hosts/local/history/catalog")
        self.assertEqual(status, 200)
        doc = json.loads(body)
        metrics = {s["metric"] for s in doc["series"]}
        for m in ["cpu.percent", "memory.used_bytes", "system.load1", "processes.count", "sockets.tcp",
                  "fs.used_percent", "host.boot_time_seconds", "host.logical_cpus", "disk.read_bytes_per_second",
                  "net.rx_bytes_per_second"]:
            self.assertIn(m, metrics)
        self.assertTrue(any(m["name"] == "net.rx_bytes_per_second" for m in doc["metrics"]))
        busy = [s for s in doc["series"] if s["key"] == BUSY][0]
        self.assertEqual(busy["labels"], {"cpu": "all", "mode": "busy"})
        self.assertEqual(busy["unit"], "percent")
        self.assertLessEqual(busy["first_ms"], busy["last_ms"])
        self.assertGreaterEqual(busy["first_ms"], self.started_ms - 5000)

    def test_several_metrics_in_one_call_with_bands(self):
        doc = self.d.history(BUSY, "memory.used_bytes", "fs.used_percent", **{"from": "-30s", "points": "30"})
        self.assertEqual(doc["tier"], "raw")
        self.assertEqual(doc["step_ms"], 1000)
        self.assertGreaterEqual(len(doc["series"]), 3)
        n = len(doc["times_ms"])
        for s in doc["series"]:
            self.assertEqual(len(s["avg"]), n)
            values = [v for v in s["avg"] if v is not None]
            self.assertGreater(len(values), 15, s["key"])
            for lo, avg, hi in zip(s["min"], s["avg"], s["max"]):
                if avg is not None:
                    self.assertLessEqual(lo, avg + 1e-9)
                    self.assertLessEqual(avg, hi + 1e-9)
        memory = [s for s in doc["series"] if s["key"] == "memory.used_bytes"][0]
        self.assertTrue(all(v is None or v > 1e6 for v in memory["avg"]))

    def test_the_live_api_and_the_history_agree(self):
        status, _, body = self.d.get("/api/v1/hosts/local/memory")
        live = json.loads(body)
        doc = self.d.history("memory.total_bytes", **{"from": "-10s", "points": "10"})
        total = [v for v in doc["series"][0]["avg"] if v is not None][-1]
        self.assertEqual(total, live["memory"]["total_bytes"])

    def test_processes_at_a_time(self):
        status, _, body = self.d.get("/api/v1/hosts/local/history/processes?at=now")
        self.assertEqual(status, 200)
        doc = json.loads(body)
        self.assertEqual(len(doc["frames"]), 1)
        frame = doc["frames"][0]
        self.assertGreater(len(frame["processes"]), 0)
        names = {p["name"] for p in frame["processes"]}
        self.assertIn("hyperiond", names)  # it uses memory, so it is in the memory list at least
        p = frame["processes"][0]
        for key in ["pid", "start_time_unix_ms", "user", "command", "cpu_percent", "rss_bytes", "top_cpu",
                    "top_memory"]:
            self.assertIn(key, p)
        # Long ago: nothing, not an error.
        status, _, body = self.d.get("/api/v1/hosts/local/history/processes?at=2001-01-01T00:00:00Z")
        self.assertEqual(json.loads(body)["frames"], [])

    def test_errors_name_the_parameter(self):
        cases = [
            ("metric=" + urllib.parse.quote(BUSY) + "&from=yesterday", "from"),
            ("metric=" + urllib.parse.quote(BUSY) + "&to=-1h&from=now", "from"),
            ("metric=no.such.metric", "metric"),
            ("metric=" + urllib.parse.quote("cpu.percent{mode=busy}"), "metric"),
            ("from=-1h", "metric"),
            ("metric=" + urllib.parse.quote(BUSY) + "&points=0", "points"),
            ("metric=" + urllib.parse.quote(BUSY) + "&points=100000000", "points"),
            ("metric=" + urllib.parse.quote(BUSY) + "&points=ten", "points"),
            ("metric=" + urllib.parse.quote(BUSY) + "&step=5", "step"),
        ]
        for query, param in cases:
            status, headers, body = self.d.get("/api/v1/hosts/local/history?" + query)
            doc = problem(self, status, headers, body, 400)
            self.assertIn(param, doc["detail"], query)
        status, headers, body = self.d.get("/api/v1/hosts/nowhere/history?metric=" + urllib.parse.quote(BUSY))
        problem(self, status, headers, body, 404, "unknown-host")
        status, headers, body = self.d.get("/api/v1/hosts/local/history/processes?at=noon")
        self.assertIn("at", problem(self, status, headers, body, 400)["detail"])
        status, headers, body = self.d.get("/api/v1/hosts/local/history?metric=cpu.percent", token=False)
        self.assertEqual(status, 401)

    def test_metrics_count_the_history(self):
        status, _, body = self.d.get("/metrics")
        self.assertEqual(status, 200)
        values = dict(re.findall(r"^(hyperion_history_\w+) (\S+)$", body.decode(), re.M))
        self.assertGreater(float(values["hyperion_history_samples_total"]), 1000)
        self.assertGreater(float(values["hyperion_history_journal_writes_total"]), 5)
        self.assertGreater(float(values["hyperion_history_seals_total"]), 0)
        self.assertEqual(float(values["hyperion_history_write_failures_total"]), 0)
        self.assertGreater(float(values["hyperion_history_series"]), 50)
        self.assertGreater(float(values["hyperion_history_database_bytes"]), 0)

    def test_openapi_documents_the_history(self):
        status, _, body = self.d.get("/api/v1/openapi.json")
        paths = json.loads(body)["paths"]
        for p in ["/api/v1/hosts/{host}/history", "/api/v1/hosts/{host}/history/processes",
                  "/api/v1/hosts/{host}/history/catalog"]:
            self.assertIn(p, paths)
        params = {x["name"] for x in paths["/api/v1/hosts/{host}/history"]["get"]["parameters"]}
        self.assertTrue({"metric", "from", "to", "points"} <= params)

    def test_z_restart_keeps_the_last_hour(self):
        # Last in the class (z): it restarts the daemon.
        before = self.d.history(BUSY, **{"from": "-60s", "points": "60"})
        recorded = [t for t, v in zip(before["times_ms"], before["series"][0]["avg"]) if v is not None]
        self.assertGreater(len(recorded), 20)
        self.assertEqual(self.d.stop(), 0)
        time.sleep(4)  # a gap
        type(self).d = Hyperiond(self.data_dir, *QUICK)
        time.sleep(3)
        after = self.d.history(BUSY, **{"from": str(recorded[0] - 500), "to": "now", "points": "200"})
        got = {t: v for t, v in zip(after["times_ms"], after["series"][0]["avg"])}
        # Bucket times follow the samples' phase, which a restart may shift by a few ms.
        present = [t for t in recorded if any(v is not None and abs(t2 - t) < 500 for t2, v in got.items())]
        # Every sample the first run recorded is there after the restart (a clean stop writes the last batch).
        self.assertEqual(len(present), len(recorded))
        # The downtime is a gap of nulls, not a line drawn across it.
        stop_ms = recorded[-1]
        gap = [v for t, v in got.items() if stop_ms + 1500 < t < stop_ms + 3000]
        self.assertTrue(gap and all(v is None for v in gap), gap)


class Kills(unittest.TestCase):
    """SIGKILL at random moments: intact file, nothing committed lost, the daemon starts again."""

    KILLS = int(os.environ.get("HYPERION_KILLS", "50"))

    def test_sigkill_loses_at_most_the_last_batch(self):
        rng = random.Random(int(os.environ.get("HYPERION_KILL_SEED", "1")))
        with tempfile.TemporaryDirectory(prefix="hyperion-kill-") as tmp:
            data_dir = new_data_dir(tmp)
            db_file = os.path.join(data_dir, "hyperion.db")
            args = QUICK + ["--history-raw-retention", "1m", "--history-batch-interval", "1s"]
            for i in range(self.KILLS):
                d = Hyperiond(data_dir, *args)
                self.assertIsNotNone(d.port, d.log())
                # Sometimes right after the start (the journal replay, the first pruning step),
                # sometimes just after a seal boundary (the seal and its roll-ups), sometimes anywhere.
                mode = rng.choice(["start", "seal", "seal", "anywhere"])
                if mode == "start":
                    time.sleep(rng.uniform(0.01, 0.3))
                elif mode == "seal":
                    # The seal runs at the first once-a-second upkeep after the boundary.
                    time.sleep(SEAL_S - time.time() % SEAL_S + rng.uniform(0.0, 1.2))
                else:
                    time.sleep(rng.uniform(0, 4))
                committed = committed_memory_time(db_file)
                d.kill()
                self.assertEqual(integrity(db_file), "ok", "after kill %d" % i)
                if committed is None:
                    continue
                d = Hyperiond(data_dir, *args)
                self.assertIsNotNone(d.port, d.log())
                doc = d.history("memory.used_bytes", **{"from": str(committed - 1500), "to": str(committed + 500),
                                                        "points": "10"})
                values = {t: v for t, v in zip(doc["times_ms"], doc["series"][0]["avg"]) if v is not None}
                self.assertTrue(any(abs(t - committed) <= 500 for t in values),
                                "kill %d: the sample at %d committed before the kill is missing: %s" %
                                (i, committed, doc))
                d.kill()
                self.assertEqual(integrity(db_file), "ok")
            con = sqlite3.connect(db_file)
            chunks = con.execute("SELECT count(*) FROM history_chunks").fetchone()[0]
            con.close()
            self.assertGreater(chunks, 0, "no seal happened during the test")


@unittest.skipUnless(os.geteuid() == 0, "mounts a tmpfs: needs root")
class DiskFull(unittest.TestCase):
    """The data directory on a 3 MiB tmpfs that the test fills, then empties."""

    def test_full_disk_keeps_live_data_logs_once_and_resumes(self):
        with tempfile.TemporaryDirectory(prefix="hyperion-full-") as tmp:
            mount = os.path.join(tmp, "small")
            os.mkdir(mount)
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mount], check=True)
            try:
                data_dir = new_data_dir(mount)
                d = Hyperiond(data_dir, *QUICK)
                try:
                    time.sleep(3)
                    d.get("/api/v1/hosts/local/cpu")  # signed in before the disk fills
                    filler = os.path.join(mount, "filler")
                    try:
                        with open(filler, "wb") as f:
                            while True:
                                f.write(b"\0" * 65536)
                                f.flush()
                    except OSError:
                        pass  # full
                    wait_for(lambda: "history:" in d.log() and "failed" in d.log(), 30, "the failure in the log")
                    time.sleep(12)  # more batches and a seal fail
                    self.assertEqual(len(re.findall(r"history: .* failed", d.log())), 1, d.log())
                    # Live data goes on.
                    status, _, body = d.get("/api/v1/hosts/local/cpu")
                    self.assertEqual(status, 200)
                    # What must write (a new session) says so: 503, not an internal error.
                    status, headers, body = Hyperiond.post_login(d)
                    problem(self, status, headers, body, 503, "storage-unavailable")
                    self.assertIn("retry-after", headers)
                    doc = d.history(BUSY, **{"from": "-5s", "points": "5"})
                    self.assertTrue(any(v is not None for v in doc["series"][0]["avg"]))
                    os.unlink(filler)
                    wait_for(lambda: "history: writing again" in d.log(), 30, "the recovery in the log")
                    # The samples taken while the disk was full were kept and written.
                    t_full = int(time.time() * 1000) - 10_000
                    time.sleep(12)
                    con = sqlite3.connect(os.path.join(data_dir, "hyperion.db"))
                    newest = con.execute("SELECT max(last_ms) FROM history_series").fetchone()[0]
                    con.close()
                    self.assertGreater(newest, t_full)
                    self.assertEqual(d.stop(), 0)
                finally:
                    if d.proc.poll() is None:
                        d.kill()
            finally:
                subprocess.run(["umount", "-l", mount], check=False)


class Refusals(unittest.TestCase):
    def sha(self, path):
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()

    def test_damaged_file_is_refused_and_left_alone(self):
        with tempfile.TemporaryDirectory(prefix="hyperion-bad-") as tmp:
            data_dir = new_data_dir(tmp)
            db_file = os.path.join(data_dir, "hyperion.db")
            with open(db_file, "r+b") as f:
                f.seek(0)
                f.write(b"this is not a database at all" * 10)
            before = self.sha(db_file)
            d = Hyperiond(data_dir, *QUICK)
            code = d.proc.wait(timeout=10)
            d.log_file.close()
            self.assertEqual(code, 1)
            self.assertIn(db_file, d.log())
            self.assertEqual(self.sha(db_file), before)

    def test_foreign_sqlite_file_is_refused_and_left_alone(self):
        with tempfile.TemporaryDirectory(prefix="hyperion-foreign-") as tmp:
            data_dir = os.path.join(tmp, "var")
            os.makedirs(data_dir)
            db_file = os.path.join(data_dir, "hyperion.db")
            con = sqlite3.connect(db_file)
            con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
            con.execute("INSERT INTO invoices VALUES (1, 9.5)")
            con.commit()
            con.close()
            before = self.sha(db_file)
            d = Hyperiond(data_dir, *QUICK)
            code = d.proc.wait(timeout=10)
            d.log_file.close()
            self.assertEqual(code, 1)
            self.assertIn("another program", d.log())
            self.assertIn(db_file, d.log())
            self.assertEqual(self.sha(db_file), before)

    def test_history_turned_off_says_so(self):
        with tempfile.TemporaryDirectory(prefix="hyperion-off-") as tmp:
            data_dir = new_data_dir(tmp)
            d = Hyperiond(data_dir, "--history-enabled", "false")
            try:
                status, headers, body = d.get("/api/v1/hosts/local/history?metric=system.load1")
                problem(self, status, headers, body, 404, "history-disabled")
                con = sqlite3.connect(os.path.join(data_dir, "hyperion.db"))
                self.assertEqual(con.execute("SELECT count(*) FROM history_journal").fetchone()[0], 0)
                con.close()
            finally:
                self.assertEqual(d.stop(), 0)

    def test_user_command_leaves_the_running_daemons_wal_alone(self):
        # A `hyperiond user` command closing its connection once deleted the WAL under the
        # running daemon (this process's locks were gone), and every write after it was lost.
        with tempfile.TemporaryDirectory(prefix="hyperion-wal-") as tmp:
            data_dir = new_data_dir(tmp)
            d = Hyperiond(data_dir, *QUICK)
            try:
                time.sleep(2)
                r = add_user(data_dir, "viewer2", "viewer", "another-password-for-them")
                self.assertEqual(r.returncode, 0, r.stderr)
                fds = [os.readlink("/proc/%d/fd/%s" % (d.proc.pid, fd)) for fd in os.listdir("/proc/%d/fd" % d.proc.pid)]
                self.assertFalse([f for f in fds if "hyperion.db" in f and "(deleted)" in f], fds)
                time.sleep(2.5)
                self.assertIsNotNone(committed_memory_time(os.path.join(data_dir, "hyperion.db")))
                before = committed_memory_time(os.path.join(data_dir, "hyperion.db"))
                time.sleep(2.5)
                self.assertGreater(committed_memory_time(os.path.join(data_dir, "hyperion.db")), before)
            finally:
                self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main()
