"""Pages: signing up, logging in and out, forgotten passwords."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.background import BackgroundTasks
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from actors import accounts as account_services
from actors.invitations import find_usable_invitation
from actors.login_limits import (
    Limit,
    LoginAttempt,
    LoginThrottle,
    WindowLimiter,
    minutes_to_wait,
    seconds_to_wait,
)
from actors.mail import build_message, send_message
from actors.queries import admin_actors
from actors.signups import register
from config.errors import DomainError, ErrorCode
from config.settings import Settings
from instance.runtime import instance_of
from webui import i18n
from webui.csrf import read_form
from webui.devices import login_attempt, remember_device
from webui.error_messages import message as error_message
from webui.render import render
from webui.session import current_viewer, flash, log_in, log_out

if TYPE_CHECKING:
    from storage.models import Account

EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
MAX_EMAIL = 254


def safe_next(target: str | None) -> str:
    """A local path to go to after logging in; anything that could leave the site becomes ``/``."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(char) < 33 or ord(char) == 127 for char in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def login_limiter(request: Request) -> LoginThrottle:
    """One throttle per application (so per instance, and per test); its counts are in the
    instance's database, shared by all its processes."""
    state = request.app.state
    if getattr(state, "login_limiter", None) is None:
        state.login_limiter = LoginThrottle(instance_of(request).database)
    limiter: LoginThrottle = state.login_limiter
    return limiter


def mail_limiter(request: Request) -> WindowLimiter:
    state = request.app.state
    if getattr(state, "mail_limiter", None) is None:
        state.mail_limiter = WindowLimiter(per_username=Limit(3, 3600), per_address=Limit(10, 3600))
    limiter: WindowLimiter = state.mail_limiter
    return limiter


def too_many_attempts(request: Request, seconds: float) -> Response:
    if seconds < 60:
        count = seconds_to_wait(seconds)
        message = i18n.ngettext(
            "Too many attempts. Please try again in %(num)d second.",
            "Too many attempts. Please try again in %(num)d seconds.",
            count,
        ) % {"num": count}
    else:
        count = minutes_to_wait(seconds)
        message = i18n.ngettext(
            "Too many attempts. Please try again in %(num)d minute.",
            "Too many attempts. Please try again in %(num)d minutes.",
            count,
        ) % {"num": count}
    context = {"title": i18n.gettext("Too many attempts"), "message": message}
    response = render(request, "error.html", context, 429)
    response.headers["Retry-After"] = str(int(seconds) + 1)
    return response


def text_field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def raw_field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


# ---------------------------------------------------------------------------------------------
# Sign-up


async def signup(request: Request) -> Response:
    form = await read_form(request) if request.method == "POST" else None
    if await current_viewer(request) is not None:
        return RedirectResponse("/", status_code=303)
    if form is None:
        code = request.query_params.get("invite", "") or request.path_params.get("code", "")
        return await _signup_page(request, code, {}, {})
    code = raw_field(form, "invite")
    return await _signup_submit(request, form, code)


async def _signup_page(
    request: Request,
    code: str,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> Response:
    instance = instance_of(request)
    mode = instance.settings.webui.registration
    async with instance.database.session() as session:
        invited = bool(code) and await find_usable_invitation(session, code) is not None
        needs_invitation = mode == "invitation" and not invited
        admins = await admin_actors(session) if needs_invitation else []
    context: dict[str, Any] = {
        "admins": admins,
        "residents_invite": instance.settings.webui.residents_invite,
        "mode": mode,
        "invite": code if invited else "",
        "invited": invited,
        "invalid_invite": bool(code) and not invited,
        "needs_invitation": needs_invitation,
        "asks_reason": mode == "approval" and not invited,
        "asks_email": instance.settings.mail.is_configured,
        "domain": instance.settings.server.domain,
        "values": values,
        "errors": errors,
    }
    if needs_invitation and status_code == 200 and code:
        status_code = 403
    return render(request, "accounts/signup.html", context, status_code)


async def _signup_submit(request: Request, form: FormData, code: str) -> Response:
    instance = instance_of(request)
    settings = instance.settings
    values = {
        "username": text_field(form, "username").lstrip("@").lower(),
        "reason": text_field(form, "reason"),
        "email": text_field(form, "email"),
    }
    password = raw_field(form, "password")
    errors: dict[str, str] = {}
    if not values["username"]:
        errors["username"] = error_message("required")
    elif problem := account_services.username_problem(values["username"]):
        errors["username"] = error_message(problem)
    if problem := account_services.password_problem(password, raw_field(form, "password_confirm")):
        field = "password_confirm" if problem == "mismatch" else "password"
        errors[field] = error_message(problem)
    async with instance.database.session() as session:
        invited = bool(code) and await find_usable_invitation(session, code) is not None
    if settings.webui.registration == "approval" and not invited:
        if not values["reason"]:
            errors["reason"] = error_message("required")
        elif len(values["reason"]) > account_services.MAX_SIGNUP_REASON:
            errors["reason"] = error_message("too_long")
    if values["email"] and (
        len(values["email"]) > MAX_EMAIL or not EMAIL_RE.match(values["email"])
    ):
        errors["email"] = error_message("invalid_email")
    if settings.webui.registration == "invitation" and not invited:
        return await _signup_page(request, code, values, {}, status_code=403)
    if errors:
        return await _signup_page(request, code, values, errors, status_code=400)
    try:
        account = await register(
            instance.database,
            settings,
            username=values["username"],
            password=password,
            reason=values["reason"],
            invite_code=code,
            email=values["email"] if settings.mail.is_configured else "",
            language=i18n.current_locale.get(),
        )
    except DomainError as error:
        if error.code == ErrorCode.INVITATION_NEEDED:
            return await _signup_page(request, code, values, {}, status_code=403)
        errors["username"] = error_message(error)
        return await _signup_page(request, code, values, errors, status_code=400)
    if not account.is_approved:
        return RedirectResponse("/signup/pending", status_code=303)
    await log_in(request, account)
    flash(
        request,
        i18n.gettext("Welcome to %(instance)s! You can add a picture and a few words about you.")
        % {"instance": settings.server.name},
    )
    return RedirectResponse("/settings", status_code=303)


async def signup_pending(request: Request) -> Response:
    return render(request, "accounts/signup_pending.html", {})


# ---------------------------------------------------------------------------------------------
# Log in, log out


async def login(request: Request) -> Response:
    if request.method == "GET":
        target = safe_next(request.query_params.get("next"))
        if await current_viewer(request) is not None:
            return RedirectResponse(target, status_code=303)
        return _login_page(request, {"next": target}, "")
    form = await read_form(request)
    username = text_field(form, "username").lstrip("@").lower()
    password = raw_field(form, "password")
    values = {"username": username, "next": safe_next(raw_field(form, "next"))}
    if not username or not password:
        return _login_page(
            request, values, i18n.gettext("Please give your name and password."), 400
        )
    limiter = login_limiter(request)
    attempt = login_attempt(request, username)
    if wait := await limiter.retry_after(attempt):
        return too_many_attempts(request, wait)
    async with instance_of(request).database.session() as session:
        result = await account_services.authenticate(session, username, password)
    match result.outcome:
        case "wrong":
            await limiter.record_failure(attempt)
            message = i18n.gettext("This name and password do not match. Please try again.")
            return _login_page(request, values, message, 400)
        case "suspended":
            message = i18n.gettext(
                "This account is suspended. If you think this is a mistake, "
                "please contact the instance's admins."
            )
            return _login_page(request, values, message, 403)
        case "pending":
            message = i18n.gettext(
                "Your sign-up request is still waiting for an admin's approval. "
                "Please try again later."
            )
            return _login_page(request, values, message, 403)
    assert result.account is not None
    await limiter.record_success(attempt)
    await log_in(request, result.account)
    flash(request, i18n.gettext("Hello %(name)s, you are logged in.") % {"name": username})
    response = RedirectResponse(values["next"], status_code=303)
    remember_device(request, response, username)
    return response


def _login_page(
    request: Request, values: dict[str, str], error: str, status_code: int = 200
) -> Response:
    settings = instance_of(request).settings
    context = {
        "values": values,
        "error": error,
        "mail_configured": settings.mail.is_configured,
    }
    return render(request, "accounts/login.html", context, status_code)


async def logout(request: Request) -> Response:
    await read_form(request)
    await log_out(request)
    flash(request, i18n.gettext("You are logged out. See you soon!"))
    return RedirectResponse("/", status_code=303)


# ---------------------------------------------------------------------------------------------
# Forgotten password, reset link


async def forgot_password(request: Request) -> Response:
    instance = instance_of(request)
    settings = instance.settings
    if request.method == "GET" or not settings.mail.is_configured:
        if request.method == "POST":
            await read_form(request)
        return _forgot_page(request, {}, {})
    form = await read_form(request)
    email = text_field(form, "email")
    if not email or len(email) > MAX_EMAIL or not EMAIL_RE.match(email):
        errors = {"email": error_message("invalid_email" if email else "required")}
        return _forgot_page(request, {"email": email}, errors, 400)
    limiter = mail_limiter(request)
    address = client_address(request)
    if wait := limiter.retry_after(address, email):
        return too_many_attempts(request, wait)
    limiter.record_failure(address, email)
    tasks = BackgroundTasks()
    async with instance.database.transaction() as session:
        for account in await account_services.accounts_with_email(session, email):
            code = await account_services.issue_password_reset(session, account.id)
            tasks.add_task(_send_reset_mail, settings, account, email, code)
    flash(
        request,
        i18n.gettext(
            "If an account uses this address, we have sent it a link to choose a new password. "
            "It works for 24 hours."
        ),
    )
    return RedirectResponse("/login", status_code=303, background=tasks)


async def _send_reset_mail(settings: Settings, account: Account, email: str, code: str) -> None:
    _ = i18n.translations(account.language).gettext
    link = f"{settings.base_url}/reset/{code}"
    subject = _("Your new password on %(instance)s") % {"instance": settings.server.name}
    body = _(
        "Hello %(name)s,\n\nSomeone (probably you) asked for a new password. "
        "To choose one, open this link within 24 hours:\n\n%(link)s\n\n"
        "If it was not you, you can ignore this message: your password stays the same."
    ) % {"name": account.username, "link": link}
    await send_message(settings, build_message(settings, email, subject, body))


def _forgot_page(
    request: Request, values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Response:
    mail_configured = instance_of(request).settings.mail.is_configured
    context = {"values": values, "errors": errors, "mail_configured": mail_configured}
    return render(request, "accounts/forgot.html", context, status_code)


async def reset(request: Request) -> Response:
    code = request.path_params["code"]
    instance = instance_of(request)
    async with instance.database.session() as session:
        valid = await account_services.find_password_reset(session, code) is not None
    if request.method == "GET":
        return _reset_page(request, code, valid, {})
    form = await read_form(request)
    if not valid:
        return _reset_page(request, code, False, {})
    password = raw_field(form, "password")
    if problem := account_services.password_problem(password, raw_field(form, "password_confirm")):
        field = "password_confirm" if problem == "mismatch" else "password"
        return _reset_page(request, code, True, {field: error_message(problem)}, 400)
    async with instance.database.transaction() as session:
        account = await account_services.reset_password(session, code, password)
    if account is None:
        return _reset_page(request, code, False, {})
    address = client_address(request)
    await login_limiter(request).record_success(LoginAttempt(address, account.username))
    flash(request, i18n.gettext("Your new password is saved. You can log in with it now."))
    return RedirectResponse("/login", status_code=303)


def _reset_page(
    request: Request, code: str, valid: bool, errors: dict[str, str], status_code: int = 200
) -> Response:
    context = {"code": code, "valid": valid, "errors": errors}
    response = render(request, "accounts/reset.html", context, status_code if valid else 404)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# ---------------------------------------------------------------------------------------------
# Settings


routes: list[BaseRoute] = [
    Route("/signup", signup, methods=["GET", "POST"], name="signup"),
    Route("/signup/pending", signup_pending, name="signup_pending"),
    Route("/invite/{code}", signup, methods=["GET"], name="invite"),
    Route("/login", login, methods=["GET", "POST"], name="login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/password/forgot", forgot_password, methods=["GET", "POST"], name="forgot_password"),
    Route("/reset/{code}", reset, methods=["GET", "POST"], name="reset_password"),
]
