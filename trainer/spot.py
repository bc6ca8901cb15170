"""Spot interruption watcher: polls the instance metadata service (IMDSv2) in a thread.

Every ``poll_s`` seconds: ``PUT /latest/api/token`` (cached until it nears expiry or is refused),
then ``GET /latest/meta-data/spot/instance-action`` (404 = no notice; 200 = the instance is being
stopped or terminated in about two minutes) and ``GET
/latest/meta-data/events/recommendations/rebalance`` (200 = elevated interruption risk).

The training loop reads ``notice``: on an interruption it saves a checkpoint, uploads it and
exits with EXIT_SPOT_INTERRUPTED; on a rebalance recommendation it saves (and uploads) a
checkpoint once and carries on.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

# "Temporary failure" in sysexits.h: the job did not fail, it was interrupted and can resume.
EXIT_SPOT_INTERRUPTED = 75
TOKEN_TTL_S = 21600
_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Notice:
    kind: str  # "interruption" or "rebalance"
    detail: str  # the metadata service's JSON body, e.g. {"action": "terminate", "time": "…"}


class MetadataClient:
    """IMDSv2 over plain HTTP (urllib): a session token, then GETs that carry it."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._token: str | None = None
        self._token_expires = 0.0

    def token(self) -> str:
        """``PUT /latest/api/token`` with a TTL header; raises OSError when unreachable."""
        if self._token and time.monotonic() < self._token_expires:
            return self._token
        request = urllib.request.Request(
            f"{self.endpoint}/latest/api/token", method="PUT",
            headers={"X-aws-ec2-metadata-token-ttl-seconds": str(TOKEN_TTL_S)})
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
            self._token = response.read().decode().strip()
        self._token_expires = time.monotonic() + TOKEN_TTL_S - 60
        return self._token

    def get(self, path: str) -> str | None:
        """``GET /latest/meta-data/<path>``: the body, or None for 404; raises OSError otherwise."""
        for attempt in range(2):
            request = urllib.request.Request(
                f"{self.endpoint}/latest/meta-data/{path}",
                headers={"X-aws-ec2-metadata-token": self.token()})
            try:
                with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
                    return response.read().decode()
            except urllib.error.HTTPError as exc:
                if exc.code == 404:
                    return None
                if exc.code == 401 and attempt == 0:  # token expired or revoked: fetch a new one
                    self._token = None
                    continue
                raise
        return None

    def check(self) -> Notice | None:
        body = self.get("spot/instance-action")
        if body is not None:
            return Notice("interruption", body.strip())
        body = self.get("events/recommendations/rebalance")
        if body is not None:
            return Notice("rebalance", body.strip())
        return None


def metadata_service_answers(endpoint: str) -> bool:
    try:
        MetadataClient(endpoint).token()
        return True
    except OSError:
        return False


class SpotWatcher:
    """A daemon thread polling the metadata service; ``interruption``/``rebalance`` are Events."""

    def __init__(self, endpoint: str, poll_s: float, log=print) -> None:
        self.client = MetadataClient(endpoint)
        self.poll_s = poll_s
        self.interruption = threading.Event()
        self.rebalance = threading.Event()
        self.detail = ""
        self._stop = threading.Event()
        self._log = log
        self._thread = threading.Thread(target=self._run, name="spot-watcher", daemon=True)

    def start(self) -> SpotWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        failing = False
        while not self._stop.is_set():
            try:
                notice = self.client.check()
                failing = False
            except (OSError, ValueError) as exc:
                if not failing:  # say it once, not every poll
                    self._log(f"spot watcher: metadata service unreachable: {exc}")
                failing = True
                notice = None
            if notice is not None:
                self.detail = notice.detail
                if notice.kind == "interruption":
                    self._log(f"spot watcher: interruption notice {_short(notice.detail)}")
                    self.interruption.set()
                    return
                if not self.rebalance.is_set():
                    self._log(f"spot watcher: rebalance recommendation {_short(notice.detail)}")
                    self.rebalance.set()
            self._stop.wait(self.poll_s)


def _short(detail: str) -> str:
    try:
        return json.dumps(json.loads(detail))
    except ValueError:
        return detail[:200]
