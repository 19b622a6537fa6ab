"""Known devices: a signed cookie, set at a successful login, that names this browser for the
accounts it has logged in to. A known device is throttled on its own (see
:mod:`actors.login_limits`), so a resident always gets in from her own browser, however hard
someone else is guessing her password.

The cookie holds, per username, a random device id; it is signed (not encrypted) with the
instance's secret key and lasts a year. It grants nothing by itself: the password is still
checked.
"""

from __future__ import annotations

import secrets
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import Response

from actors.login_limits import LoginAttempt
from instance.runtime import instance_of

DEVICE_COOKIE = "quartiers_device"
DEVICE_MAX_AGE = 365 * 24 * 3600
MAX_ACCOUNTS_PER_DEVICE = 5


def _serializer(request: Request) -> URLSafeTimedSerializer:
    secret_key = instance_of(request).settings.webui.secret_key
    return URLSafeTimedSerializer(secret_key, salt="quartiers.known-device")


def _known_accounts(request: Request) -> dict[str, str]:
    """username → device id, from a valid cookie; empty when it is absent, old or forged."""
    value = request.cookies.get(DEVICE_COOKIE)
    if not value:
        return {}
    try:
        data: Any = _serializer(request).loads(value, max_age=DEVICE_MAX_AGE)
    except BadSignature:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(name): str(device) for name, device in data.items() if isinstance(device, str)}


def login_attempt(request: Request, username: str) -> LoginAttempt:
    """This request's try at ``username``'s password: its address and its known device."""
    address = request.client.host if request.client else "unknown"
    return LoginAttempt(address, username, _known_accounts(request).get(username))


def remember_device(request: Request, response: Response, username: str) -> None:
    """After a successful login: this browser is a known device for ``username`` from now on."""
    known = _known_accounts(request)
    device = known.pop(username, None) or secrets.token_urlsafe(16)
    kept = list(known.items())[-(MAX_ACCOUNTS_PER_DEVICE - 1) :]
    value = _serializer(request).dumps({**dict(kept), username: device})
    response.set_cookie(
        DEVICE_COOKIE,
        value,
        max_age=DEVICE_MAX_AGE,
        httponly=True,
        secure=instance_of(request).settings.secure_cookies,
        samesite="lax",
    )
