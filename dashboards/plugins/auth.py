"""Logins for `listener serve`: named users with a role (listener/users.py), at /-/login and /-/logout.

- The login cookie (Datasette's signed ds_actor) is HttpOnly, SameSite=Lax, and Secure when the
  page came over https or from a non-loopback host.
- Password guessing is throttled: 5 failures per user and address in a minute, then 429.
- With any user configured, anonymous visitors (and users since removed) are refused every page.
"""

from datasette import hookimpl
from datasette.utils.asgi import Response

from listener.serve import is_loopback
from listener.users import Throttle, check_password, serving_users

THROTTLE = Throttle(limit=5, window=60.0)


def secure_request(request):
    headers = request.headers
    host = (headers.get("host") or "").rsplit(":", 1)[0].strip("[]")
    return request.scheme == "https" or headers.get("x-forwarded-proto") == "https" or not is_loopback(host)


async def login(request, datasette):
    users = serving_users()
    error, status = None, 200
    name = ""
    if request.method == "POST":
        form = await request.post_vars()
        name, password = (form.get("username") or "").strip(), form.get("password") or ""
        key = (name, (request.scope.get("client") or ("?",))[0])
        if THROTTLE.blocked(key):
            return Response.text("Too many failed logins for this user from your address: wait a minute and try again.",
                                 status=429)
        user = check_password(users, name, password)
        if user:
            THROTTLE.succeeded(key)
            response = Response.redirect(datasette.urls.path("/-/inbox"))
            response.set_cookie("ds_actor", datasette.sign({"a": {"id": user.name}}, "actor"),
                                httponly=True, secure=secure_request(request), samesite="lax")
            return response
        THROTTLE.failed(key)
        error, status = "Wrong user name or password.", 403
    elif not users:
        error = "No logins are configured: set LISTENER_USERS (see the README)."
    html = await datasette.render_template("listener_login.html", {"error": error, "username": name},
                                           request=request)
    return Response.html(html, status=status)


async def logout(request, datasette):
    if request.method != "POST":
        return Response.html(await datasette.render_template("listener_login.html", {"logout": True},
                                                             request=request))
    response = Response.redirect(datasette.urls.path("/-/login"))
    response.set_cookie("ds_actor", "", expires=0, max_age=0, httponly=True, secure=secure_request(request))
    return response


@hookimpl
def register_routes():
    return [(r"^/-/login$", login), (r"^/-/logout$", logout)]


@hookimpl
def permission_allowed(actor):
    users = serving_users()
    if users and (actor or {}).get("id") not in users:
        return False
    return None
