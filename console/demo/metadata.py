"""The demo instances' instance metadata service: a loopback stand-in for IMDSv2's spot
requests, served by the demo endpoint under ``/_awsconsole/imds/<instance name>``.

A trainer in a demo job is started with ``--spot-watch on --imds-endpoint
<endpoint>/_awsconsole/imds/<name>`` (``console.demo.training``), so it never asks the
link-local address, and asks this instead, as on an EC2 instance:

- ``PUT  …/latest/api/token``                        a session token (needs the TTL header);
- ``GET  …/latest/meta-data/spot/instance-action``   404, or 200 with the notice once announced;
- ``GET  …/latest/meta-data/events/recommendations/rebalance``   404 (never recommended).

``POST /_awsconsole/interrupt/<name>`` announces a spot interruption on that instance (the
demo's key for it: ``i`` on a running run). The notice reaches the trainers that were
already watching, i.e. those holding a token issued before it; a trainer started afterwards
(the relaunch resuming from the checkpoint) gets a new token and sees no notice, where a
real instance would have been reclaimed and the relaunch would run on another one.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import threading
import time

PREFIX = "/_awsconsole/imds/"
INTERRUPT_PREFIX = "/_awsconsole/interrupt/"
#: what an instance name in these paths may be (the demo's Name tags; nothing to escape)
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
#: how long before the instance is reclaimed a notice says, as EC2's does
NOTICE_SECONDS = 120

Reply = tuple[str, str]  # (HTTP status line, body)


class MetadataStandIn:
    """Tokens and announced interruptions of every demo instance (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        #: token -> (instance name, when it was issued: monotonic seconds)
        self._tokens: dict[str, tuple[str, float]] = {}
        #: instance name -> (when the interruption was announced, the notice's JSON)
        self._notices: dict[str, tuple[float, str]] = {}

    def announce(self, name: str) -> str:
        """A spot interruption on ``name`` from now on; the notice's JSON body."""
        at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=NOTICE_SECONDS)
        body = json.dumps({"action": "terminate", "time": at.strftime("%Y-%m-%dT%H:%M:%SZ")})
        with self._lock:
            self._notices[name] = (time.monotonic(), body)
        return body

    def handles(self, path: str) -> bool:
        return path.startswith(PREFIX) or path.startswith(INTERRUPT_PREFIX)

    def answer(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        """The reply to one request under ``PREFIX`` or ``INTERRUPT_PREFIX``; ``headers``
        with lower-case names."""
        if path.startswith(INTERRUPT_PREFIX):
            name = path[len(INTERRUPT_PREFIX):]
            if method != "POST" or not NAME.fullmatch(name):
                return "404 Not Found", ""
            return "200 OK", self.announce(name)
        name, _, rest = path[len(PREFIX):].partition("/")
        if not NAME.fullmatch(name):
            return "404 Not Found", ""
        if rest == "latest/api/token":
            if method != "PUT":
                return "405 Method Not Allowed", ""
            if not headers.get("x-aws-ec2-metadata-token-ttl-seconds", "").strip().isdigit():
                return "400 Bad Request", ""
            token = secrets.token_urlsafe(24)
            with self._lock:
                self._tokens[token] = (name, time.monotonic())
            return "200 OK", token
        if method != "GET" or not rest.startswith("latest/meta-data/"):
            return "404 Not Found", ""
        with self._lock:
            issued = self._tokens.get(headers.get("x-aws-ec2-metadata-token", ""))
            notice = self._notices.get(name)
        if issued is None or issued[0] != name:
            return "401 Unauthorized", ""
        if rest == "latest/meta-data/spot/instance-action":
            if notice is not None and issued[1] < notice[0]:
                return "200 OK", notice[1]
            return "404 Not Found", ""
        return "404 Not Found", ""  # no rebalance recommendation, nothing else to read
