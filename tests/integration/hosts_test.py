"""Two hosts through the whole pipeline: the live machine ("local") and a host read from a
captured directory tree ("fixture", collectors.tree_hosts). Each has its own sampling loop,
Collector and Source; both publish to one bus; REST, /metrics and the live hub serve both.

The fixture tree is a capture of a Debian 12 machine (tests/fixtures): its counters never
move, so its rates are zero, and it has no interface addresses (a tree has none)."""

import json
import os
import time
import unittest

from live_test import WebSocket
from server_test import REQUIRED_VALUES, Daemon, FAST

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "debian12-6.18-x86_64")
FIXTURE_PIDS = sorted(int(n) for n in os.listdir(os.path.join(FIXTURE, "proc")) if n.isdigit())


class TwoHosts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = Daemon("--collectors-tree-hosts", "fixture=" + os.path.abspath(FIXTURE), *FAST)
        cls.d.wait_ready()
        cls.d.wait_ready("/api/v1/hosts/fixture/processes")

    @classmethod
    def tearDownClass(cls):
        code, _ = cls.d.stop()
        assert code == 0, code

    def json(self, path):
        status, _, body = self.d.get(path)
        self.assertEqual(status, 200, body[:300])
        return json.loads(body)

    def test_hosts_lists_both(self):
        hosts = {h["id"]: h for h in self.json("/api/v1/hosts")["hosts"]}
        self.assertEqual(list(hosts), ["local", "fixture"])
        self.assertEqual(hosts["local"]["kind"], "local")
        self.assertEqual(hosts["fixture"]["kind"], "tree")
        self.assertEqual(hosts["fixture"]["hostname"], "fixture-host")
        self.assertNotEqual(hosts["local"]["hostname"], "fixture-host")
        for h in hosts.values():
            self.assertEqual(h["state"], "up")

    def test_every_family_route_answers_for_both(self):
        doc = self.json("/api/v1/openapi.json")
        family_paths = [p for p in doc["paths"] if p.startswith("/api/v1/hosts/{host}/") and "{pid}" not in p]
        self.assertGreaterEqual(len(family_paths), 11)
        for host in ("local", "fixture"):
            for path in family_paths:
                url = path.replace("{host}", host)
                required = [p["name"] for p in doc["paths"][path]["get"].get("parameters", [])
                            if p["in"] == "query" and p["required"]]
                if required:
                    url += "?" + "&".join("%s=%s" % (name, REQUIRED_VALUES[name]) for name in required)
                with self.subTest(url=url):
                    body = self.json(url)
                    self.assertEqual(body["host"], host)
        # Each host has a history of its own.
        self.assertTrue(self.json("/api/v1/hosts/fixture/history/catalog")["series"])
        # The data is each host's own, not one host's served twice.
        self.assertEqual(self.json("/api/v1/hosts/fixture/host")["host_info"]["hostname"], "fixture-host")
        fixture_pids = {p["pid"] for p in self.json("/api/v1/hosts/fixture/processes")["processes"]["processes"]}
        self.assertEqual(fixture_pids, set(FIXTURE_PIDS))
        local = self.json("/api/v1/hosts/local/processes/%d" % self.d.proc.pid)["process"]
        self.assertEqual(local["comm"], "hyperiond")
        status, _, _ = self.d.get("/api/v1/hosts/fixture/processes/%d" % self.d.proc.pid)
        self.assertEqual(status, 404)
        status, _, body = self.d.get("/api/v1/hosts/nosuchhost/cpu")
        self.assertEqual(status, 404)
        self.assertTrue(json.loads(body)["type"].endswith("/unknown-host"))

    def test_live_topics_of_both_hosts_on_one_socket(self):
        ws = WebSocket(self.d.port, token=self.d.access_token())
        ws.send({"subscribe": ["hosts/local/cpu", "hosts/fixture/cpu", "hosts/fixture/processes",
                               "hosts/nosuchhost/cpu"]})
        seen, errors = {}, []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(seen) < 3:
            m = ws.recv()
            if "topic" in m:
                seen[m["topic"]] = m
            elif "error" in m or "errors" in m:
                errors.append(m)
        ws.close()
        self.assertEqual(set(seen), {"hosts/local/cpu", "hosts/fixture/cpu", "hosts/fixture/processes"})
        self.assertEqual(seen["hosts/local/cpu"]["host"], "local")
        self.assertEqual(seen["hosts/fixture/cpu"]["host"], "fixture")
        self.assertEqual([p["pid"] for p in seen["hosts/fixture/processes"]["data"]["processes"]], FIXTURE_PIDS)
        self.assertIn("nosuchhost", json.dumps(errors))

    def test_metrics_per_host(self):
        status, headers, local = self.d.get("/metrics")
        local = local.decode()
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain; version=0.0.4"))
        status, _, fixture = self.d.get("/metrics?host=fixture")
        fixture = fixture.decode()
        self.assertEqual(status, 200)
        self.assertIn('nodename="fixture-host"', fixture)
        self.assertNotIn('nodename="fixture-host"', local)
        # The daemon's own counters belong to its own target only.
        self.assertIn("hyperion_http_requests_total", local)
        self.assertNotIn("hyperion_http_requests_total", fixture)
        self.assertIn("node_memory_MemTotal_bytes", fixture)
        status, _, explicit = self.d.get("/metrics?host=local")
        explicit = explicit.decode()
        self.assertEqual(status, 200)
        self.assertIn("hyperion_http_requests_total", explicit)
        for query, want in (("host=nosuchhost", 404), ("hots=local", 400), ("host=%zz", 400)):
            with self.subTest(query=query):
                status, headers, body = self.d.get("/metrics?" + query)
                self.assertEqual(status, want, body)
                self.assertEqual(headers["content-type"], "application/problem+json")


if __name__ == "__main__":
    unittest.main()
