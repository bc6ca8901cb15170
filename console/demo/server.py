"""The demo's AWS endpoint as a background process, shared by the console and every CLI call.

    python -P -m console.demo.server DEMO_DIR

``console.demo.endpoint`` starts it (never a person): it detaches from the terminal (a second
fork; the first child prints the server's pid and exits), serves moto on a free port of
127.0.0.1, seeds the fleet, and only then writes ``DEMO_DIR/.endpoint.json`` (pid and port,
0600): a client that finds that file finds a populated endpoint. The dataset bucket fills
in afterwards on a thread. It runs until SIGTERM (``awsconsole demo stop``); its state lives
in this process's memory, so it is kept until then or until ``awsconsole demo reset``. It
also ends by itself when its state file goes (the demo folder removed) or names another
process.

Besides moto's API it answers three requests of its own under ``/_awsconsole/`` (a bucket
name cannot start with ``_``):

- ``GET  /_awsconsole/status``  its pid and demo folder, whether the dataset is uploaded;
- ``POST /_awsconsole/release`` start uploading the dataset now (a client waits for it);
- ``POST /_awsconsole/reset``   moto's ``POST /moto-api/reset``, then the fleet and the
  dataset seeded again: the world as on the first start.

and the demo instances' metadata service with its spot notices (``console.demo.metadata``:
``/_awsconsole/imds/<name>/latest/…`` and ``POST /_awsconsole/interrupt/<name>``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import signal
import sys
import threading
import traceback
import urllib.request
from pathlib import Path

from console.demo import DEMO_REGION
from console.demo.metadata import MetadataStandIn
from console.demo.state import STATE_FILE, write_private

#: the first line the detaching child prints: the pid of the process that will serve
PID_PREFIX = "awsconsole-demo-endpoint "


class DemoEndpoint:
    """The seeded world behind one moto server: its fleet, its dataset upload, its reset."""

    def __init__(self, demo_dir: Path, url: str):
        # boto3 loads in the endpoint process only, not in each CLI call that imports this
        from console.aws.session import AwsSession
        from console.demo.seeding import DEMO_CREDENTIALS
        from console.settings import Settings

        self.demo_dir = demo_dir
        self.url = url
        self.session = AwsSession(
            Settings(endpoint_url=url, region=DEMO_REGION), credentials=DEMO_CREDENTIALS
        )
        self._lock = threading.Lock()
        self._seeding = None
        self.generation = 0
        #: the demo instances' metadata service (spot notices): console.demo.metadata
        self.metadata = MetadataStandIn()

    def seed(self, *, release: bool = False) -> None:
        """The fleet now, the dataset on a thread (at once with ``release``)."""
        # seeding needs moto: the endpoint process only
        from console.demo.seeding import BucketSeeding, put_into_moto, seed_fleet

        seed_fleet(self.session)
        self.generation += 1
        self._seeding = BucketSeeding(
            self.session, self.demo_dir / ".dataset-cache", put_in_process=put_into_moto
        ).start()
        if release:
            self._seeding.release()

    def status(self) -> dict[str, object]:
        seeding = self._seeding
        error = seeding.error if seeding is not None else None
        return {
            "pid": os.getpid(),
            "demo_dir": str(self.demo_dir),
            "url": self.url,
            "seeded": bool(seeding is not None and seeding.done and error is None),
            "seed_error": f"{type(error).__name__}: {error}" if error is not None else None,
            "generation": self.generation,
        }

    def release(self) -> None:
        if self._seeding is not None:
            self._seeding.release()

    def reset(self) -> None:
        """Every resource gone (moto's reset), then the fleet and the dataset as new."""
        with self._lock:
            if self._seeding is not None:
                self._seeding.cancel()
            request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
            with urllib.request.urlopen(request, timeout=60) as reply:
                reply.read()
            self.seed(release=True)

    def close(self) -> None:
        if self._seeding is not None:
            self._seeding.cancel()
        self.session.close()

    def wsgi(self, moto_app):
        """moto's WSGI application with the three requests of our own in front of it."""
        routes = {
            ("GET", "/_awsconsole/status"): lambda: None,
            ("POST", "/_awsconsole/release"): self.release,
            ("POST", "/_awsconsole/reset"): self.reset,
        }

        def application(environ, start_response):
            path = environ.get("PATH_INFO", "")
            if self.metadata.handles(path):
                headers = {key[5:].replace("_", "-").lower(): value
                           for key, value in environ.items() if key.startswith("HTTP_")}  # fmt: skip
                status, text = self.metadata.answer(environ.get("REQUEST_METHOD", ""), path,
                                                    headers)  # fmt: skip
                data = text.encode("utf-8")
                start_response(status, [("Content-Type", "text/plain"),
                                        ("Content-Length", str(len(data)))])  # fmt: skip
                return [data]
            if not path.startswith("/_awsconsole/"):
                return moto_app(environ, start_response)
            action = routes.get((environ.get("REQUEST_METHOD", ""), path))
            if action is None:
                return _reply(start_response, "404 Not Found", {"error": "no such request"})
            try:
                action()
            except Exception as exc:  # noqa: BLE001 - the client shows it as one line
                return _reply(start_response, "500 Internal Server Error", {"error": str(exc)})
            return _reply(start_response, "200 OK", self.status())

        return application


def _reply(start_response, status: str, body: dict[str, object]):
    data = json.dumps(body).encode("utf-8")
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    )
    return [data]


def serve(demo_dir: Path) -> int:
    """Serve until SIGTERM, SIGINT or SIGHUP. Returns the exit status."""
    os.umask(0o077)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: stop.set())
    # moto's backends create plain boto3 sessions: a profile this machine lacks would fail
    # inside the server, and no request of the demo may reach a real AWS service
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(name, None)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    # moto reads these when it is first imported
    os.environ.setdefault("MOTO_ENABLE_AMI_VALIDATION", "true")
    os.environ.setdefault("MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION", "true")
    # moto loads in the endpoint process only
    from console.demo.seeding import only_moto_default_amis

    with only_moto_default_amis(demo_dir / ".moto-amis.json"):
        # moto reads its AMI list when first imported: after only_moto_default_amis
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").disabled = True  # no line per request in the log
        moto_app = DomainDispatcherApplication(create_backend_app)
        server = make_server(
            "127.0.0.1", 0, None, threaded=True, request_handler=MotoRequestHandler
        )
        port = server.server_address[1]
        endpoint = DemoEndpoint(demo_dir, f"http://127.0.0.1:{port}")
        server.app = endpoint.wsgi(moto_app)
        serving = threading.Thread(target=server.serve_forever, name="demo-serve", daemon=True)
        serving.start()
        try:
            endpoint.seed()
            state = {
                "pid": os.getpid(),
                "port": port,
                "demo_dir": str(demo_dir),
                "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
            write_private(demo_dir / STATE_FILE, json.dumps(state).encode("utf-8"))
            print(f"serving on 127.0.0.1:{port}", file=sys.stderr, flush=True)
            # a demo folder removed (a temporary one) or taken over by another endpoint
            # leaves nobody to stop this one: it ends itself
            while not stop.wait(1.0) and _named_by_state(demo_dir):
                pass
        finally:
            endpoint.close()
            server.shutdown()
            server.server_close()
            _forget_state(demo_dir)
    return 0


def _named_by_state(demo_dir: Path) -> bool:
    """Whether the demo folder's state file still names this process."""
    try:
        return json.loads((demo_dir / STATE_FILE).read_bytes()).get("pid") == os.getpid()
    except (OSError, ValueError, AttributeError):
        return False


def _forget_state(demo_dir: Path) -> None:
    """Remove the state file if it still names this process."""
    path = demo_dir / STATE_FILE
    try:
        if json.loads(path.read_bytes()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m console.demo.server DEMO_DIR", file=sys.stderr)
        return 2
    demo_dir = Path(argv[1])
    pid = os.fork()
    if pid:
        # the launcher reads this line, then this child ends: the server is nobody's child
        # in the terminal's process tree and no terminal signal reaches it
        print(f"{PID_PREFIX}{pid}", flush=True)
        return 0
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # the launcher's pipe ends here: it sees EOF
    os.close(devnull)
    try:
        return serve(demo_dir)
    except BaseException:  # noqa: BLE001 - the launcher shows the log's tail
        traceback.print_exc(file=sys.stderr)
        return 1


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stderr.flush()
    os._exit(code)  # the forked child must not run the parent's clean-up
