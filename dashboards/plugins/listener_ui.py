"""Datasette plugin for `listener serve` (loaded with --plugins-dir dashboards/plugins).

- metadata.yaml describes the database under the key "*" (the served file's name is not known in
  advance): at startup that template is copied to every database served, and every dashboard chart
  or filter with `db: "*"` is pointed at the (first) database.
- Logins and roles live in auth.py; the inbox (triage actions) in inbox.py.
- Only requests whose Host header names this server are answered (DNS-rebinding protection).
- Every response carries a Content-Security-Policy that allows nothing beyond this server, so a
  page can never load or send anything elsewhere; frames and inline event handlers are refused.
"""

import copy
import os

from datasette import hookimpl

# DNS rebinding: a page on evil.example whose name resolves to 127.0.0.1 could read the replies.
# Only these Host names are answered (plus LISTENER_ALLOWED_HOSTS, which `listener serve` sets from
# [serve] host, [serve] base_url and [serve] allowed_hosts); anything else gets 400.
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}

TEMPLATE = "*"
# Only what the pages need. script-src keeps 'unsafe-inline' because Datasette's and
# datasette-dashboards' templates write inline <script> blocks with per-page content (chart specs,
# column menus), so hashes cannot cover them and a nonce would need every template to carry it;
# values are escaped on the way out (the attention list in SQL), which is the defence there.
# Inline event-handler attributes, the classic injected `onerror=`, are refused outright (none of
# the pages uses one; datasette-dashboards' allow_fullscreen would need its onclick's hash here).
# 'unsafe-eval' stays for Vega, which compiles chart expressions with Function() (without it the
# charts do not draw).
CSP = ("default-src 'none'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; script-src-attr 'none'; "
       "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; "
       "manifest-src 'self'; object-src 'none'; frame-src 'none'; worker-src 'none'; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'self'")


def served_databases(datasette):
    return [name for name in datasette.databases if not name.startswith("_")]


@hookimpl
def startup(datasette):
    metadata = datasette._metadata_local
    names = served_databases(datasette)
    template = (metadata.get("databases") or {}).get(TEMPLATE)
    if template is not None:
        for name in names:
            merged = copy.deepcopy(template)
            own = metadata["databases"].get(name) or {}
            for key, value in own.items():
                if isinstance(value, dict) and isinstance(merged.get(key), dict):
                    merged[key].update(value)
                else:
                    merged[key] = value
            metadata["databases"][name] = merged
        del metadata["databases"][TEMPLATE]
    dashboards = (metadata.get("plugins") or {}).get("datasette-dashboards") or {}
    for dashboard in dashboards.values():
        items = list((dashboard.get("charts") or {}).values()) + list((dashboard.get("filters") or {}).values())
        for item in items:
            if item.get("db") == TEMPLATE and names:
                item["db"] = names[0]


def allowed_hosts():
    extra = os.environ.get("LISTENER_ALLOWED_HOSTS", "")
    return LOOPBACK_HOSTS | {name.strip().lower() for name in extra.split(",") if name.strip()}


def host_name(scope):
    """The Host header's name without its port ('[::1]:8001' -> '::1'); None when there is none."""
    raw = dict(scope.get("headers") or []).get(b"host")
    if raw is None:
        return None
    host = raw.decode("latin-1").strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


async def refuse_host(send, host):
    body = f"Host {host!r} is not served here: add it to [serve] allowed_hosts\n".encode()
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def with_headers(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)
            host = host_name(scope)
            if host not in allowed_hosts():
                return await refuse_host(send, host)

            async def send_with_headers(event):
                if event["type"] == "http.response.start":
                    headers = [h for h in event.get("headers", [])
                               if h[0].lower() not in (b"content-security-policy", b"x-frame-options")]
                    headers += [(b"content-security-policy", CSP.encode()),
                                (b"x-content-type-options", b"nosniff"),
                                (b"referrer-policy", b"same-origin")]
                    event = {**event, "headers": headers}
                await send(event)

            return await app(scope, receive, send_with_headers)

        return with_headers

    return wrap
