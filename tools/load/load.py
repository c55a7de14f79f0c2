#!/usr/bin/env python3
"""Load and abuse checks for the demo server (examples/demo.rs). Python 3 standard library only.

Starts the release demo (building it with cargo first unless --no-build), or targets a running
one with --url, and checks:

  a. load: CLIENTS clients each upload a bundled clip UPLOADS times (keep-alive connection per
     client, all at once): every answer must be 200; reports p50/p99/max latency and throughput;
  b. slow clients: STALLED connections each send the headers and 4 bytes of a declared 1 MB
     upload and then wait; meanwhile another client's GET /api/models (and GET /) must be
     answered within --bound-s. When this script started the server (--body-timeout-s 10), every
     stalled upload must then get an answer (408, or 503 past --max-in-flight) within the body
     timeout plus --bound-s; afterwards (stalled connections closed) an upload must be answered
     200 again;
  c. a POST declaring Content-Length 99999999999 must be answered 413 within --bound-s, before
     any body is sent; after some body bytes and a hang-up the server must still answer (and,
     when started here, still be running);
  d. a chunked upload (no Content-Length) one chunk past the server's limit must be answered 413.

Exit status 0 only when every check passed; the last line is "load: N passed, N failed".

  python3 tools/load/load.py                         # build, start, check (about a minute)
  python3 tools/load/load.py --url http://127.0.0.1:8080/ --clients 20
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_CLIP = os.path.join(ROOT, "tests", "data", "ravdess", "03-01-08-01-01-01-01.wav")
DEFAULT_BIN = os.path.join(
    os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "examples", "demo"
)
# The body timeout this script gives a server it starts (seconds): short, so check b's
# recovery does not wait a minute, but far above any well-behaved upload on loopback.
BODY_TIMEOUT_S = 10


def log(msg):
    print(msg, flush=True)


def percentile(values, q):
    """The q-th percentile (0..100) by the nearest-rank method."""
    s = sorted(values)
    if not s:
        return float("nan")
    rank = max(1, min(len(s), int(-(-q * len(s) // 100))))
    return s[rank - 1]


class Target:
    def __init__(self, host, port):
        self.host, self.port = host, port

    def connect(self, timeout):
        return socket.create_connection((self.host, self.port), timeout=timeout)

    def get(self, path, timeout):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()


def read_status(sock, timeout):
    """Reads until the end of a response's headers; returns the status code (or raises)."""
    sock.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before an answer: %r" % buf[:200])
        buf += chunk
    return int(buf.split(b" ", 2)[1])


def check_load(target, clip, clients, uploads, timeout):
    """a: CLIENTS x UPLOADS uploads, all must be 200."""
    latencies, errors = [], []
    lock = threading.Lock()
    start_gate = threading.Barrier(clients)

    def client(i):
        conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
        start_gate.wait()
        for j in range(uploads):
            t0 = time.monotonic()
            try:
                conn.request(
                    "POST",
                    "/api/predict?model=default&name=load-%d-%d.wav" % (i, j),
                    body=clip,
                    headers={"Content-Type": "application/octet-stream"},
                )
                r = conn.getresponse()
                body = r.read()
                dt = time.monotonic() - t0
                ok = r.status == 200 and json.loads(body).get("emotion") is not None
                with lock:
                    latencies.append(dt)
                    if not ok:
                        errors.append("client %d upload %d: %d %s" % (i, j, r.status, body[:200]))
            except Exception as e:  # noqa: BLE001 - every failure is counted
                with lock:
                    errors.append("client %d upload %d: %r" % (i, j, e))
                conn.close()
                conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
        conn.close()

    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client, range(clients)))
    wall = time.monotonic() - t0
    total = clients * uploads
    ok = total - len(errors)
    ms = [1e3 * x for x in latencies]
    log(
        "   %d/%d answered 200 in %.1f s (%.1f uploads/s); latency p50 %.0f ms, p99 %.0f ms, max %.0f ms"
        % (ok, total, wall, total / wall, percentile(ms, 50), percentile(ms, 99), max(ms or [0]))
    )
    for e in errors[:10]:
        log("   error: " + e)
    return not errors


def check_slow_clients(target, clip, stalled_n, bound, started_here, timeout):
    """b: stalled uploads must not keep another client from an answer."""
    ok = True
    stalled = []
    for _ in range(stalled_n):
        s = target.connect(timeout)
        s.sendall(
            b"POST /api/predict?name=stalled.wav HTTP/1.1\r\nHost: load\r\n"
            b"Content-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\nRIFF"
        )
        stalled.append(s)
    time.sleep(0.5)  # let the server take them all in
    for path in ["/api/models", "/"]:
        t0 = time.monotonic()
        try:
            status, _ = target.get(path, bound)
        except Exception as e:  # noqa: BLE001
            status = repr(e)
        dt = time.monotonic() - t0
        good = status == 200 and dt <= bound
        ok &= good
        log("   GET %s with %d stalled uploads open: %s in %.1f ms (bound %.0f s)%s"
            % (path, stalled_n, status, 1e3 * dt, bound, "" if good else "  FAIL"))
    if started_here:
        t0 = time.monotonic()
        statuses = {}
        for s in stalled:
            try:
                st = read_status(s, BODY_TIMEOUT_S + bound)
            except Exception as e:  # noqa: BLE001
                st = type(e).__name__
            statuses[st] = statuses.get(st, 0) + 1
        dt = time.monotonic() - t0
        good = set(statuses) <= {408, 503}
        ok &= good
        log("   stalled uploads answered %s within %.1f s (body timeout %d s)%s"
            % (dict(sorted(statuses.items(), key=str)), dt, BODY_TIMEOUT_S, "" if good else "  FAIL"))
    for s in stalled:
        s.close()
    # Recovery: a normal upload is predicted again (a few tries while closed slots are freed).
    status = None
    for _ in range(20):
        conn = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
        try:
            conn.request("POST", "/api/predict?name=after-stall.wav", body=clip)
            r = conn.getresponse()
            r.read()
            status = r.status
        finally:
            conn.close()
        if status != 503:
            break
        time.sleep(0.5)
    good = status == 200
    ok &= good
    log("   upload after the stalled clients: %s%s" % (status, "" if good else "  FAIL"))
    return ok


def check_huge_length(target, bound, proc, timeout):
    """c: Content-Length 99999999999 -> 413 before any body, and the server lives on."""
    s = target.connect(timeout)
    t0 = time.monotonic()
    s.sendall(
        b"POST /api/predict?name=huge.wav HTTP/1.1\r\nHost: load\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Length: 99999999999\r\n\r\n"
    )
    try:
        status = read_status(s, bound)
    except Exception as e:  # noqa: BLE001
        status = repr(e)
    dt = time.monotonic() - t0
    try:  # then some of the body, and hang up
        s.sendall(b"RIFF" + b"\0" * 1_000_000)
    except OSError:
        pass
    s.close()
    time.sleep(0.5)
    try:
        alive_status, _ = target.get("/api/models", timeout)
    except Exception as e:  # noqa: BLE001
        alive_status = repr(e)
    alive = alive_status == 200 and (proc is None or proc.poll() is None)
    good = status == 413 and dt <= bound and alive
    log("   Content-Length 99999999999: %s in %.1f ms (bound %.0f s); afterwards GET /api/models %s%s%s"
        % (status, 1e3 * dt, bound, alive_status,
           "" if proc is None else ", process running" if proc.poll() is None else ", PROCESS GONE",
           "" if good else "  FAIL"))
    return good


def check_chunked(target, bound, timeout):
    """d: a chunked body one chunk past the limit -> 413."""
    _, body = target.get("/api/models", timeout)
    limit = json.loads(body)["max_upload_bytes"]
    chunk = b"\1" * 65536
    s = target.connect(timeout)
    t0 = time.monotonic()
    s.sendall(
        b"POST /api/predict?name=chunked.wav HTTP/1.1\r\nHost: load\r\n"
        b"Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    sent = 0
    try:
        while sent <= limit:
            s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            sent += len(chunk)
        s.sendall(b"0\r\n\r\n")
        status = read_status(s, bound)
    except Exception as e:  # noqa: BLE001
        status = repr(e)
    dt = time.monotonic() - t0
    s.close()
    good = status == 413
    log("   chunked upload of %d bytes (limit %d): %s after %.1f ms%s"
        % (sent, limit, status, 1e3 * dt, "" if good else "  FAIL"))
    return good


def start_demo(binary, extra):
    args = [binary, "--port", "0", "--body-timeout-s", str(BODY_TIMEOUT_S)] + extra
    log("== starting " + " ".join(args))
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("the demo exited before printing its URL (status %s)" % proc.wait())
        if "http://" in line:
            url = line[line.index("http://"):].split()[0]
            return proc, url
    proc.kill()
    raise SystemExit("the demo printed no URL within 60 s")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", help="target a running demo (e.g. http://127.0.0.1:8080/) instead of starting one")
    p.add_argument("--bin", default=DEFAULT_BIN, help="demo binary to start (default: the release example)")
    p.add_argument("--no-build", action="store_true", help="do not run cargo build first")
    p.add_argument("--clip", default=DEFAULT_CLIP, help="the file uploaded in check a")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--uploads", type=int, default=10, help="uploads per client")
    p.add_argument("--stalled", type=int, default=64, help="stalled connections in check b")
    p.add_argument("--bound-s", type=float, default=5.0, help="answer-time bound for checks b and c")
    p.add_argument("--timeout-s", type=float, default=120.0, help="client socket timeout for uploads")
    p.add_argument("--demo-arg", action="append", default=[], help="extra argument for a started demo")
    p.add_argument("--checks", default="abcd", help="which checks to run (letters, default abcd)")
    args = p.parse_args()

    with open(args.clip, "rb") as f:
        clip = f.read()
    proc = None
    url = args.url
    if url is None:
        if not args.no_build:
            log("== cargo build --release --example demo")
            subprocess.run(["cargo", "build", "--release", "--example", "demo"], cwd=ROOT, check=True)
        proc, url = start_demo(args.bin, args.demo_arg)
    parts = urlsplit(url)
    target = Target(parts.hostname, parts.port or 80)
    log("demo at %s; clip %s (%d bytes)" % (url, os.path.relpath(args.clip, ROOT), len(clip)))

    checks = [
        ("a. %d clients x %d uploads" % (args.clients, args.uploads),
         lambda: check_load(target, clip, args.clients, args.uploads, args.timeout_s)),
        ("b. %d stalled uploads vs. other clients" % args.stalled,
         lambda: check_slow_clients(target, clip, args.stalled, args.bound_s, proc is not None, args.timeout_s)),
        ("c. Content-Length 99999999999", lambda: check_huge_length(target, args.bound_s, proc, args.timeout_s)),
        ("d. chunked upload over the limit", lambda: check_chunked(target, args.bound_s, args.timeout_s)),
    ]
    checks = [(name, check) for name, check in checks if name[0] in args.checks]
    passed = failed = 0
    try:
        for name, check in checks:
            log("== " + name)
            try:
                good = check()
            except Exception as e:  # noqa: BLE001 - a crashed check is a failed check
                log("   FAIL: %r" % e)
                good = False
            log("   " + ("ok" if good else "FAILED"))
            passed += good
            failed += not good
    finally:
        if proc is not None:
            if proc.poll() is not None:
                log("the demo exited with status %s" % proc.returncode)
                failed += 1
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
    log("load: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
