"""`ottwatch`: serve (the embedded stack), demo, poll."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

from ottwatch.config import BUNDLED_CATALOG, ENV_ALLOW_LOOPBACK


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ottwatch", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the embedded stack: moto, API gateway, scheduler, stream poller")
    serve.add_argument("--catalog", type=Path, default=BUNDLED_CATALOG)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=int(os.environ.get("OTTWATCH_PORT", "8080")))
    serve.add_argument("--moto-port", type=int, default=0, help="0 picks a free port")
    serve.add_argument("--interval", type=float, default=60.0, help="seconds between collections")
    serve.add_argument("--country", default="IT")

    sub.add_parser("demo", help="replay a recorded outage end to end on the embedded stack, then exit")

    detect = sub.add_parser("detect", help="anomaly detection on a NAB-format CSV (timestamp,value); CSV on stdout")
    detect.add_argument("file", help="CSV with a `timestamp,value` header")

    poll = sub.add_parser("poll", help="one collection + fusion, printed; needs no AWS")
    poll.add_argument("--catalog", type=Path, default=BUNDLED_CATALOG)
    poll.add_argument("--once", action="store_true", help="collect once and exit (otherwise every --interval)")
    poll.add_argument("--json", action="store_true", help="print JSON on stdout")
    poll.add_argument("--interval", type=float, default=60.0)
    poll.add_argument("--allow-loopback", action="store_true", default=os.environ.get(ENV_ALLOW_LOOPBACK) == "1",
                      help="let sources on 127.0.0.1 / private addresses be fetched (local tests only)")

    args = parser.parse_args(argv)
    return {"serve": _serve, "demo": _demo, "poll": _poll, "detect": _detect}[args.command](args)


def _serve(args) -> int:
    from ottwatch.catalog import CatalogError, load_catalog
    from ottwatch.local.stack import EmbeddedStack

    try:
        load_catalog(args.catalog)
    except CatalogError as exc:
        print(f"ottwatch: {exc}", file=sys.stderr)
        return 2
    stack = EmbeddedStack(args.catalog, host=args.host, port=args.port, moto_port=args.moto_port,
                          interval=args.interval, country=args.country)
    try:
        stack.start()
    except OSError as exc:
        print(f"ottwatch: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: stack._stop.set())
    print(f"ottwatch serving: API {stack.gateway.url}/v1/status  (OpenAPI {stack.gateway.url}/v1/openapi.json)",
          flush=True)
    print(f"  moto server {stack.moto_endpoint}  topic {stack.resources.topic_arn}  "
          f"collecting every {args.interval:g}s; Ctrl-C stops", flush=True)
    print(f"  POST /v1/operator/volumes with X-Api-Key: {stack.operator_key}", flush=True)
    try:
        stack.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    return 0


def _demo(_args) -> int:
    from ottwatch.local.demo import run_demo

    return run_demo()


def _detect(args) -> int:
    from ottwatch.detect_cli import run_detect

    return run_detect(args.file, sys.stdout)


def _poll(args) -> int:
    from ottwatch.catalog import CatalogError, load_catalog
    from ottwatch.collector import MAX_BODY_BYTES, Collector
    from ottwatch.observability import logger  # gives the collector's warnings a JSON handler
    from ottwatch.sources.fetch import Fetcher
    from ottwatch.store.memory import MemoryRepository

    try:
        catalog = load_catalog(args.catalog)
    except CatalogError as exc:
        print(f"ottwatch: {exc}", file=sys.stderr)
        return 2
    logger.setLevel("WARNING")  # stdout has every state; stderr keeps only what went wrong (failing sources)
    with Fetcher(allow_private=args.allow_loopback, max_bytes=MAX_BODY_BYTES) as fetcher:
        collector = Collector(catalog, fetcher, MemoryRepository(), allow_private=args.allow_loopback)
        while True:
            report = collector.run_once()
            _print_report(report, as_json=args.json)
            if args.once:
                return 0
            time.sleep(args.interval)


def _print_report(report, as_json: bool) -> None:
    rows = []
    for s in report.statuses:
        errors = [f"{e.source}: {e.error}" for e in s.evidence if e.error]
        rows.append({
            "id": s.service, "name": s.name, "state": s.state.value, "confidence": s.confidence,
            "verdict": s.verdict, "since": s.since.isoformat(), "updated_at": s.updated_at.isoformat(),
            "detail": next((e.detail for e in s.evidence if e.detail), None),
            "errors": errors,
        })
    if as_json:
        print(json.dumps({"services": rows}, ensure_ascii=False, indent=2), flush=True)
        return
    for row in rows:
        extra = row["errors"][0] if row["errors"] else (row["detail"] or "")
        print(f"{row['id']:<14} {row['state']:<22} {row['confidence']:.2f}  {extra}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
