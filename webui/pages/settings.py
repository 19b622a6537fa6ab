"""Pages: a resident's settings — profile, preferences, password, deleting the account."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from actors import accounts as account_services
from actors import preferences
from actors.accounts import ImageChange, ProfileChange
from actors.queries import actor_by_id
from commons.media import MAX_ALT_TEXT, MediaError
from instance.runtime import instance_of
from storage.models import Account, Actor
from webui import i18n
from webui.csrf import read_form
from webui.devices import login_attempt
from webui.error_messages import message as error_message
from webui.pages.accounts import (
    EMAIL_RE,
    MAX_EMAIL,
    login_limiter,
    raw_field,
    text_field,
    too_many_attempts,
)
from webui.render import render
from webui.routes import LANG_COOKIE
from webui.session import flash, log_in, log_out, require_viewer
from webui.uploads import read_upload


async def settings_page(request: Request) -> Response:
    viewer = await require_viewer(request)
    if request.method == "POST":
        return await _save_profile(request, viewer.actor.id)
    return _settings_page(request, profile_values(viewer.actor), {}, viewer.account)


def profile_values(actor: Actor) -> dict[str, Any]:
    return {
        "name": actor.name,
        "bio": actor.summary_source or "",
        "manually_approves": actor.manually_approves_followers,
        "avatar_alt": actor.icon_alt or "",
        "header_alt": actor.header_alt or "",
    }


def _settings_page(
    request: Request,
    values: dict[str, Any],
    errors: dict[str, str],
    account: Account,
    status_code: int = 200,
    *,
    password_errors: dict[str, str] | None = None,
    preference_errors: dict[str, str] | None = None,
    preference_values: dict[str, str] | None = None,
) -> Response:
    settings = instance_of(request).settings
    context = {
        "values": values,
        "errors": errors,
        "password_errors": password_errors or {},
        "preference_errors": preference_errors or {},
        "preferences": preference_values
        or {"language": account.language, "email": account.email or ""},
        "mail_configured": settings.mail.is_configured,
        "languages": i18n.language_choices(),
        "may_invite": settings.webui.residents_invite or account.is_admin,
    }
    return render(request, "accounts/settings.html", context, status_code)


async def _upload(form: FormData, name: str) -> bytes | None:
    value = form.get(name)
    if not isinstance(value, UploadFile):
        return None
    data = await read_upload(value)
    return data or None


async def _save_profile(request: Request, actor_id: int) -> Response:
    viewer = await require_viewer(request)
    form = await read_form(request, max_files=2)
    values: dict[str, Any] = {
        "name": text_field(form, "name"),
        "bio": raw_field(form, "bio").replace("\r\n", "\n").strip(),
        "manually_approves": form.get("manually_approves") == "1",
        "avatar_alt": text_field(form, "avatar_alt"),
        "header_alt": text_field(form, "header_alt"),
    }
    images = {slot: await _upload(form, slot) for slot in ("avatar", "header")}
    errors: dict[str, str] = {}
    if len(values["name"]) > account_services.MAX_DISPLAY_NAME:
        errors["name"] = error_message("too_long")
    if len(values["bio"]) > account_services.MAX_BIO:
        errors["bio"] = error_message("too_long")
    for slot in ("avatar", "header"):
        alt = values[f"{slot}_alt"]
        removing = form.get(f"remove_{slot}") == "1"
        has_image = images[slot] is not None or (
            viewer.actor.icon_url if slot == "avatar" else viewer.actor.header_url
        )
        if has_image and not removing and not alt:
            errors[f"{slot}_alt"] = error_message("missing_alt")
        elif len(alt) > MAX_ALT_TEXT:
            errors[f"{slot}_alt"] = error_message("alt_too_long")
    if errors:
        return _settings_page(request, values, errors, viewer.account, 400)
    change = ProfileChange(
        name=values["name"],
        bio=values["bio"],
        manually_approves_followers=values["manually_approves"],
        avatar=ImageChange(
            images["avatar"], values["avatar_alt"], form.get("remove_avatar") == "1"
        ),
        header=ImageChange(
            images["header"], values["header_alt"], form.get("remove_header") == "1"
        ),
    )
    instance = instance_of(request)
    try:
        async with instance.database.transaction() as session:
            actor = await actor_by_id(session, actor_id)
            assert actor is not None
            await account_services.update_profile(session, instance.settings, actor, change)
    except MediaError as error:
        errors[error.field or "avatar"] = error_message(error)
        return _settings_page(request, values, errors, viewer.account, 400)
    flash(request, i18n.gettext("Your profile is saved."))
    return RedirectResponse("/settings", status_code=303)


async def save_preferences(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await read_form(request)
    language = text_field(form, "language")
    email = text_field(form, "email")
    if not i18n.is_available(language):
        language = viewer.account.language
    if email and (len(email) > MAX_EMAIL or not EMAIL_RE.match(email)):
        return _settings_page(
            request,
            profile_values(viewer.actor),
            {},
            viewer.account,
            400,
            preference_errors={"email": error_message("invalid_email")},
            preference_values={"language": language, "email": email},
        )
    instance = instance_of(request)
    async with instance.database.transaction() as session:
        mail = email if instance.settings.mail.is_configured else None
        await preferences.save_preferences(
            session, viewer.account.id, language=language, email=mail
        )
    i18n.current_locale.set(language)
    flash(request, i18n.gettext("Your preferences are saved."))
    response = RedirectResponse("/settings", status_code=303)
    response.set_cookie(LANG_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax")
    return response


async def change_password(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await read_form(request)
    current = raw_field(form, "current_password")
    new_password = raw_field(form, "new_password")
    errors: dict[str, str] = {}
    if not current:
        errors["current_password"] = error_message("required")
    if problem := account_services.password_problem(
        new_password, raw_field(form, "new_password_confirm")
    ):
        field = "new_password_confirm" if problem == "mismatch" else "new_password"
        errors[field] = error_message(problem)
    limiter = login_limiter(request)
    attempt = login_attempt(request, viewer.account.username)
    if wait := await limiter.retry_after(attempt):
        return too_many_attempts(request, wait)
    if not errors:
        async with instance_of(request).database.transaction() as session:
            changed = await account_services.change_password(
                session, viewer.account.id, current, new_password
            )
        if changed:
            # Every session ended, copies of this cookie included; this browser gets a new one.
            await log_in(request, viewer.account)
            flash(request, i18n.gettext("Your new password is saved."))
            return RedirectResponse("/settings", status_code=303)
        await limiter.record_failure(attempt)
        errors["current_password"] = error_message("wrong_password")
    return _settings_page(
        request, profile_values(viewer.actor), {}, viewer.account, 400, password_errors=errors
    )


async def delete_account(request: Request) -> Response:
    viewer = await require_viewer(request)
    if request.method == "GET":
        return render(request, "accounts/delete.html", {"errors": {}})
    form = await read_form(request)
    password = raw_field(form, "password")
    limiter = login_limiter(request)
    attempt = login_attempt(request, viewer.account.username)
    if wait := await limiter.retry_after(attempt):
        return too_many_attempts(request, wait)
    instance = instance_of(request)
    error = ""
    async with instance.database.transaction() as session:
        result = await account_services.authenticate(session, viewer.account.username, password)
        if result.outcome != "ok" or result.account is None:
            error = "wrong_password"
        elif await account_services.is_last_admin(session, result.account.id):
            error = "last_admin"
        else:
            await account_services.delete_account(session, instance.settings, result.account)
    if error:
        if error == "wrong_password":
            await limiter.record_failure(attempt)
        errors = {"password": error_message(error)}
        return render(request, "accounts/delete.html", {"errors": errors}, 400)
    await log_out(request)
    flash(request, i18n.gettext("Your account is deleted. Thank you for your time with us."))
    return RedirectResponse("/", status_code=303)


routes: list[BaseRoute] = [
    Route("/settings", settings_page, methods=["GET", "POST"], name="settings"),
    Route("/settings/preferences", save_preferences, methods=["POST"], name="preferences"),
    Route("/settings/password", change_password, methods=["POST"], name="change_password"),
    Route("/settings/delete", delete_account, methods=["GET", "POST"], name="delete_account"),
]
