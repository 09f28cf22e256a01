"""Run the fake platform alone: python -m listener.fake --port 8765 [--state fake.json]"""

import argparse
import signal
import sys
import threading

from ..serve import is_loopback
from .server import start_server, stop_server


def main():
    parser = argparse.ArgumentParser(prog="python -m listener.fake", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--state", help="JSON file to load from and save to, so posts survive a restart")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a non-loopback --host (the control API has no authentication)")
    args = parser.parse_args()
    if not is_loopback(args.host):
        if not args.allow_remote:
            parser.exit(2, f"Error: --host {args.host} is not loopback and the fake's control API (/_fake/) has "
                           "no authentication: use --host 127.0.0.1, or add --allow-remote if you mean it\n")
        print(f"warning: serving on {args.host}: anyone who can reach it can add posts and replies "
              "through /_fake/ (no authentication)", file=sys.stderr, flush=True)
    server = start_server(args.host, args.port, state_file=args.state)
    print(f"fake platform on {server.base_url}  (X at /2/, Reddit at /reddit/, Mastodon at /mastodon/, "
          "Bluesky at /bsky/xrpc/, control at /_fake/)", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    stop_server(server)


if __name__ == "__main__":
    main()
