"""One collection over 500 sources on a loopback server that answers each request after 300 ms.

Measures, in one run and side by side:
  * wall time of one collection (concurrent fetching) vs fetching the same 500 sources one by one;
  * bytes the server sent on an unchanged second poll with conditional GET (ETag) vs without.
Target (issue 3): 500 sources in under 15 s in one process.

Usage: .venv/bin/python bench/collect_500.py [--sources 500] [--latency 0.3] [--workers 32] [--skip-sequential]
"""

from __future__ import annotations

import argparse
import hashlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ottwatch.catalog import parse_catalog
from ottwatch.collector import Collector
from ottwatch.sources.fetch import Fetcher, FetchRequest
from ottwatch.store.memory import MemoryRepository

PAYLOAD = (Path(__file__).parents[1] / "tests/fixtures/status_pages/atlassian_statuspage"
           / "github_summary_2022-11-25_minor_active-incident-packages-pages.json").read_bytes()
ETAG = '"' + hashlib.sha256(PAYLOAD).hexdigest()[:16] + '"'


class CountingServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # the default backlog of 5 would make concurrent connects wait on SYN retries

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.bytes_sent = 0
        self.requests = 0
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def count(self, n: int) -> None:
        with self.lock:
            self.bytes_sent += n


class _CountingWriter:
    def __init__(self, raw, server: CountingServer) -> None:
        self.raw, self.server = raw, server

    def write(self, data: bytes) -> int:
        self.server.count(len(data))
        return self.raw.write(data)

    def __getattr__(self, name: str):  # closed, close, … as the real stream has them
        return getattr(self.raw, name)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.wfile = _CountingWriter(self.wfile, self.server)

    def do_GET(self) -> None:  # noqa: N802
        with self.server.lock:
            self.server.requests += 1
        time.sleep(self.server.latency)
        if self.headers.get("If-None-Match") == ETAG:
            self.send_response(304)
            self.send_header("ETag", ETAG)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("ETag", ETAG)
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        self.wfile.write(PAYLOAD)

    def log_message(self, *args) -> None:
        pass


class WithoutValidators:
    """The same fetcher, but never conditional: what polling costs without ETags."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher

    def fetch_all(self, reqs):
        return self.fetcher.fetch_all([FetchRequest(r.url) for r in reqs])


def catalog_for(base: str, n: int):
    return parse_catalog({"services": [
        {"id": f"svc{i}", "name": f"Service {i}",
         "sources": [{"kind": "statuspage", "url": f"{base}/page{i}/api/v2/summary.json"}]}
        for i in range(n)]})


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sources", type=int, default=500)
    ap.add_argument("--latency", type=float, default=0.3)
    ap.add_argument("--workers", type=int, default=32)
    ap.add_argument("--skip-sequential", action="store_true")
    args = ap.parse_args()

    server = CountingServer(args.latency)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    catalog = catalog_for(base, args.sources)

    def measure(collector):
        before = server.bytes_sent
        report, seconds = timed(collector.run_once)
        errors = len(report.source_errors)
        return seconds, server.bytes_sent - before, errors

    repo = MemoryRepository()
    with Fetcher(allow_private=True, max_workers=args.workers) as fetcher:
        concurrent = Collector(catalog, fetcher, repo, allow_private=True)
        first_s, first_bytes, first_errors = measure(concurrent)
        cond_s, cond_bytes, cond_errors = measure(concurrent)  # unchanged: every source answers 304
        plain = Collector(catalog, WithoutValidators(fetcher), repo, allow_private=True)
        plain_s, plain_bytes, plain_errors = measure(plain)
    seq_s = None
    if not args.skip_sequential:
        with Fetcher(allow_private=True, max_workers=1) as one:
            seq_s, _, seq_errors = measure(Collector(catalog, one, MemoryRepository(), allow_private=True))
            assert seq_errors == 0, f"{seq_errors} sources failed one by one"
    server.shutdown()
    assert first_errors == cond_errors == plain_errors == 0, "sources failed: the figures would be meaningless"

    n = args.sources
    print(f"{n} sources, {args.latency*1000:.0f} ms injected latency each, {args.workers} fetch workers, "
          f"payload {len(PAYLOAD)} B (real githubstatus.com summary.json)")
    print(f"  first collection, concurrent      {first_s:7.2f} s   (target < 15 s)")
    if seq_s is not None:
        print(f"  same sources fetched one by one   {seq_s:7.2f} s   -> concurrent is {seq_s/first_s:.1f}x faster")
    print(f"  unchanged second poll, with ETag  {cond_s:7.2f} s   {cond_bytes:>10,} bytes sent by the server")
    print(f"  unchanged second poll, no ETag    {plain_s:7.2f} s   {plain_bytes:>10,} bytes sent by the server")
    print(f"  conditional GET sends {cond_bytes/plain_bytes:.3f}x the bytes ({plain_bytes/cond_bytes:.1f}x fewer)")


if __name__ == "__main__":
    main()
