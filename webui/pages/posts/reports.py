"""Pages: a resident reports a post to the moderators (and, for another server's post, to its
moderators too, without the resident's name)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from actors.reports import MAX_COMMENT, report_post
from commons.posts.cards import PostCard
from instance.runtime import instance_of
from webui import i18n
from webui.csrf import read_form
from webui.pages.posts.posts import form_text, visible_post
from webui.render import render
from webui.session import flash, require_viewer


async def report_page(request: Request) -> Response:
    viewer = await require_viewer(request)
    form = await read_form(request) if request.method == "POST" else None  # CSRF first
    instance = instance_of(request)
    async with instance.database.session() as session:
        post, author = await visible_post(request, session, viewer)
    if post.deleted_at is not None or author.id == viewer.actor.id:
        raise HTTPException(404)
    card = PostCard(post, author, instance.settings.base_url)
    context = {"card": card, "author": author, "values": {"comment": "", "forward": True},
               "errors": {}, "max_comment": MAX_COMMENT}  # fmt: skip
    if form is None:
        return render(request, "posts/report.html", context)
    comment = form_text(form, "comment")
    forward = form.get("forward") == "1"
    if len(comment) > MAX_COMMENT:
        context["values"] = {"comment": comment, "forward": forward}
        context["errors"] = {"comment": i18n.gettext("The reason is too long.")}
        return render(request, "posts/report.html", context, 400)
    async with instance.database.transaction() as session:
        await report_post(
            session,
            instance.settings,
            reporter=viewer.actor,
            post=post,
            comment=comment,
            forward=forward and not post.is_local,
        )
    flash(request, i18n.gettext("Thank you. The moderators of the neighbourhood will look at it."))
    return RedirectResponse(card.page_url, status_code=303)


routes: list[BaseRoute] = [
    Route("/posts/{key}/report", report_page, methods=["GET", "POST"], name="report_post"),
]
