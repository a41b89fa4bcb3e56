"""POST the final job record to the caller's `callback_url`, signed, with retries.

With a secret configured (`TALKING_HEAD_WEBHOOK_SECRET`) the body is signed:
``X-Talking-Head-Signature: sha256=<hex HMAC-SHA256 of the raw body>``.
A receiver recomputes it over the bytes it got and compares in constant time.
Delivery runs beside the job, never inside it: a failing callback is
recorded in the job's `webhook` field and never fails the job.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request

from ..version import __version__

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Talking-Head-Signature"
TIMEOUT_S = 10
MAX_CALLBACK_URL = 2000  # characters
# An absolute http(s) URL with a host (or nothing: no callback); the same rule for the schema and the check.
CALLBACK_URL_PATTERN = r"^(https?://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?([/?#][!-~]*)?)?$"


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(url: str, payload: dict, secret: str | None, attempts: int, backoff_s: float) -> dict:
    """Try up to `attempts` times, waiting backoff_s, 2*backoff_s, ... between; the outcome as a dict."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "User-Agent": f"talking-head/{__version__}"}
    if secret:
        headers[SIGNATURE_HEADER] = sign(body, secret)
    status, error = None, None
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                status = response.status
            return {"delivered": True, "attempts": attempt, "status_code": status, "error": None}
        except urllib.error.HTTPError as exc:
            status, error = exc.code, f"the callback answered {exc.code}"
        except (urllib.error.URLError, OSError, ValueError) as exc:
            status, error = None, f"cannot reach the callback: {getattr(exc, 'reason', exc)}"
        log.warning("webhook %s attempt %d failed: %s", url, attempt, error)
        if attempt < attempts:
            time.sleep(backoff_s * 2 ** (attempt - 1))
    return {"delivered": False, "attempts": attempts, "status_code": status, "error": error}


def deliver_in_background(url: str, payload: dict, settings, on_done) -> threading.Thread:
    """Deliver on a thread of its own; `on_done(outcome)` records the outcome."""

    def run() -> None:
        outcome = deliver(url, payload, settings.webhook_secret, settings.webhook_attempts, settings.webhook_backoff_s)
        try:
            on_done(outcome)
        except Exception:  # the job is finished; a lost note about its webhook must not crash anything
            log.warning("could not record the webhook outcome for %s", url, exc_info=True)

    thread = threading.Thread(target=run, name="webhook", daemon=True)
    thread.start()
    return thread
