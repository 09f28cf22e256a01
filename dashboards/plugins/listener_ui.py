"""Datasette plugin for `listener serve` (loaded with --plugins-dir dashboards/plugins).

- metadata.yaml describes the database under the key "*" (the served file's name is not known in
  advance): at startup that template is copied to every database served, and every dashboard chart
  or filter with `db: "*"` is pointed at the (first) database.
- Logins and roles live in auth.py; the inbox (triage actions) in inbox.py.
- Every response carries a Content-Security-Policy that allows nothing beyond this server, so a
  page can never load or send anything elsewhere, and frames are refused.
"""

import copy

from datasette import hookimpl

TEMPLATE = "*"
CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data: blob:; connect-src 'self'; font-src 'self' data:; object-src 'none'; "
       "frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


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


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def with_headers(scope, receive, send):
            if scope["type"] != "http":
                return await app(scope, receive, send)

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
