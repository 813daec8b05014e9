#!/usr/bin/env python3
"""A minimal CMS integration with Imprimatur, standard library only.

1. submits a generation from a prompt template (with an Idempotency-Key, so a
   retry after a timeout never creates a second job);
2. listens for webhooks on a local port and checks each signature;
3. once the asset is approved (someone reviews it in the portal), downloads
   the chosen rendition (watermarked, with C2PA content credentials).

    IMPRIMATUR_API_KEY=imp_... IMPRIMATUR_WEBHOOK_SECRET=... \\
    python examples/cms_client.py --base-url http://127.0.0.1:8000 \\
        --project spring-launch --template 1 --var product="trail shoe" \\
        --var surface="oak table" --var colour=teal --listen 8099

The key needs the `generations:submit` and `assets:read` scopes; the webhook
endpoint (project settings › Webhooks) must point at http://127.0.0.1:<listen>/
and subscribe to job.completed, job.failed, job.refused and asset.approved
(add 127.0.0.1 to WEBHOOK_ALLOWED_HOSTS for this local receiver).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.server
import json
import os
import queue
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

TOLERANCE_SECONDS = 300


def verify(secret: str, header: str, body: bytes) -> bool:
    """Imprimatur-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), parts.get("v1", ""))


def listen(port: int, secret: str, events: queue.Queue[dict[str, Any]]) -> None:
    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if not verify(secret, self.headers.get("Imprimatur-Signature", ""), body):
                self.send_response(401)
                self.end_headers()
                print("webhook: bad signature, ignored", file=sys.stderr)
                return
            self.send_response(204)
            self.end_headers()
            events.put(json.loads(body))

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()


class Api:
    def __init__(self, base_url: str, token: str) -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.token = token

    def call(self, method: str, path: str, body: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 - the operator's own base URL
            self.base + path, data=data, method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
                     **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def json(self, method: str, path: str, body: dict[str, Any] | None = None,
             headers: dict[str, str] | None = None) -> dict[str, Any]:
        status, raw = self.call(method, path, body, headers)
        payload = json.loads(raw or b"{}")
        if status >= 400:
            # RFC 9457 problem details: title, detail, and errors or rules.
            raise SystemExit(f"{status} {payload.get('title')}: {payload.get('detail')} "
                             f"{payload.get('errors') or payload.get('rules') or ''}")
        return payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--project", required=True)
    parser.add_argument("--template", type=int, required=True)
    parser.add_argument("--var", action="append", default=[], help="name=value")
    parser.add_argument("--route", default="draft")
    parser.add_argument("--size", default="1024x1024")
    parser.add_argument("--rendition", default="social-square")
    parser.add_argument("--listen", type=int, default=8099)
    parser.add_argument("--out", type=Path, default=Path("."))
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for approval")
    args = parser.parse_args()

    api = Api(args.base_url, os.environ["IMPRIMATUR_API_KEY"])
    events: queue.Queue[dict[str, Any]] = queue.Queue()
    listen(args.listen, os.environ["IMPRIMATUR_WEBHOOK_SECRET"], events)

    width, height = (int(n) for n in args.size.lower().split("x"))
    variables = dict(item.split("=", 1) for item in args.var)
    job = api.json(
        "POST", f"/projects/{args.project}/jobs/",
        {"route": args.route, "width": width, "height": height, "template": args.template,
         "variables": variables},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    print(f"job {job['id']} queued; waiting for it to finish and be approved ...")

    asset_id = None
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        try:
            event = events.get(timeout=5)
        except queue.Empty:
            continue
        data = event.get("data", {})
        print(f"webhook: {event['event']} {data}")
        if event["event"] in ("job.failed", "job.refused") and data.get("job") == job["id"]:
            raise SystemExit(f"the job did not produce an image: {event['event']}")
        if event["event"] == "job.completed" and data.get("job") == job["id"]:
            asset_id = data["asset"]
            print(f"asset {asset_id} generated; submit and approve it in the portal")
        if event["event"] == "asset.approved" and asset_id and data.get("asset") == asset_id:
            break
    else:
        raise SystemExit("no approval before the timeout")

    # Renditions are made on the cpu queue right after approval: poll briefly.
    path = f"/projects/{args.project}/assets/{asset_id}/renditions/{args.rendition}/"
    for _ in range(60):
        status, content = api.call("GET", path)
        if status == 200:
            target = args.out / f"{asset_id}-{args.rendition}"
            target.write_bytes(content)
            print(f"saved {target} ({len(content)} bytes)")
            return
        time.sleep(2)
    raise SystemExit(f"rendition {args.rendition} not available (last status {status})")


if __name__ == "__main__":
    main()
