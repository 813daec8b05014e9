"""The example CMS client verifies exactly the signatures Imprimatur sends."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

from apps.webhooks.signing import signature_header

CLIENT = Path(__file__).resolve().parents[2] / "examples" / "cms_client.py"


def _client_module():
    spec = importlib.util.spec_from_file_location("cms_client", CLIENT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_example_client_accepts_real_signatures_and_refuses_forgeries():
    client = _client_module()
    body = b'{"data":{},"event":"asset.approved","id":"1","project":"spring"}'
    header = signature_header("s3cret", body)
    assert client.verify("s3cret", header, body)
    assert not client.verify("other", header, body)
    assert not client.verify("s3cret", header, body + b" ")
    old = signature_header("s3cret", body, timestamp=int(time.time()) - 3600)
    assert not client.verify("s3cret", old, body)
