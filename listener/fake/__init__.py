"""The fake social platform used by the tests and the offline demo (see server.py)."""

from .server import start_server, stop_server

__all__ = ["start_server", "stop_server"]
