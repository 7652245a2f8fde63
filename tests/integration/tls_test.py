"""hyperiond over TLS: HTTPS and WSS with a certificate made by the real `openssl`, cookies
marked Secure, plain HTTP refused on the TLS port, the certificate reloaded on SIGHUP (and a bad
one refused, the running one kept), and clear start-up errors.

What this does not prove: a certificate from a real CA, client certificates, TLS 1.3-only
clients of other libraries."""
import json
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from live_test import WebSocket
from server_test import AUTH_FAST, HYPERIOND, TEST_PASSWORD, TEST_USER, Daemon


def make_certificate(directory, name):
    """A self-signed EC certificate for 127.0.0.1; returns (cert path, key path)."""
    cert, key = os.path.join(directory, name + ".pem"), os.path.join(directory, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=" + name,
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    os.chmod(key, 0o600)
    return cert, key


def trusting(*certs):
    ctx = ssl.create_default_context()
    for c in certs:
        ctx.load_verify_locations(c)
    return ctx


def peer_certificate(port, ctx):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            return s.getpeercert(binary_form=True)


class Tls(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.cert, self.key = make_certificate(self.dir.name, "first")
        self.ctx = trusting(self.cert)
        self.d = Daemon(*AUTH_FAST, "--tls-certificate", self.cert, "--tls-key", self.key, tls=self.ctx)

    def tearDown(self):
        code, _ = self.d.stop()
        self.assertEqual(code, 0)
        self.dir.cleanup()

    def test_https_serves_and_cookies_are_secure(self):
        self.assertIn(b"listening on https://", self.d.log_bytes())
        self.d.wait_ready("/healthz")
        c = self.d.connection()
        c.request("POST", "/api/v1/auth/login", body=json.dumps({"username": TEST_USER, "password": TEST_PASSWORD}),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 200)
        cookies = r.msg.get_all("Set-Cookie")
        c.close()
        self.assertTrue(cookies and all("; Secure" in x for x in cookies), cookies)
        status, _, body = self.d.get("/api/v1/hosts/local/system")
        self.assertEqual(status, 200, body[:200])

    def test_plain_http_on_the_tls_port_gets_no_answer(self):
        with socket.create_connection(("127.0.0.1", self.d.port), timeout=5) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            data = b""
            try:
                while True:
                    b = s.recv(4096)
                    if not b:
                        break
                    data += b
            except (ConnectionResetError, socket.timeout):
                pass
        self.assertNotIn(b"HTTP/1.1 200", data)
        self.d.wait_ready("/healthz")  # and the server is fine

    def test_old_protocols_are_refused(self):
        ctx = trusting(self.cert)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("ALL:@SECLEVEL=0")
        with self.assertRaises(ssl.SSLError):
            peer_certificate(self.d.port, ctx)

    def test_wss_carries_live_frames(self):
        ws = WebSocket(self.d.port, tls=self.ctx, token=self.d.access_token())
        self.assertEqual(ws.status, 101)
        ws.send({"subscribe": ["hosts/local/cpu"]})
        seen = [ws.recv() for _ in range(3)]
        self.assertTrue(any(m.get("topic") == "hosts/local/cpu" for m in seen), seen)
        ws.close()

    def test_sighup_loads_a_renewed_certificate_and_refuses_a_bad_one(self):
        first = peer_certificate(self.d.port, self.ctx)
        new_cert, new_key = make_certificate(self.dir.name, "second")
        os.replace(new_cert, self.cert)
        os.replace(new_key, self.key)
        self.d.proc.send_signal(signal.SIGHUP)
        both = trusting(self.cert)  # now the second certificate
        deadline = time.monotonic() + 5
        second = first
        while time.monotonic() < deadline and second == first:
            time.sleep(0.1)
            second = peer_certificate(self.d.port, both)
        self.assertNotEqual(second, first)
        self.assertIn(b"TLS certificate", self.d.log_bytes())
        # A broken file: refused, the running certificate kept.
        with open(self.cert, "w") as f:
            f.write("not a certificate\n")
        self.d.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and b"keeping the running certificate" not in self.d.log_bytes():
            time.sleep(0.05)
        self.assertIn(b"keeping the running certificate", self.d.log_bytes())
        self.assertEqual(peer_certificate(self.d.port, both), second)


class TlsStartUp(unittest.TestCase):
    def run_daemon(self, *args):
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run([HYPERIOND, "--listen", "127.0.0.1:0", "--data-dir", os.path.join(tmp, "var"), *AUTH_FAST,
                                *args], capture_output=True, timeout=20)
        return r.returncode, r.stderr.decode()

    def test_one_file_without_the_other(self):
        code, err = self.run_daemon("--tls-certificate", "/nonexistent.pem")
        self.assertEqual(code, 2)
        self.assertIn("both tls.certificate and tls.key", err)

    def test_missing_or_mismatched_files(self):
        with tempfile.TemporaryDirectory() as tmp:
            cert, key = make_certificate(tmp, "a")
            other_cert, other_key = make_certificate(tmp, "b")
            code, err = self.run_daemon("--tls-certificate", os.path.join(tmp, "missing.pem"), "--tls-key", key)
            self.assertEqual(code, 1)
            self.assertIn("tls: certificate", err)
            code, err = self.run_daemon("--tls-certificate", cert, "--tls-key", other_key)
            self.assertEqual(code, 1)
            self.assertIn("mismatch", err)


if __name__ == "__main__":
    unittest.main()
