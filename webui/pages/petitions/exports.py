"""Pages for the collective's facilitators: the signatures as they are handed over (a page to
print, and a CSV file for a spreadsheet), the audit of every proof, and the signatures with their
proofs as JSON, so that anyone given them can check them again.

Names appear only when the petition shows its signers' names; otherwise each signature has an
anonymous id (:func:`commons.petitions.paper.anonymous_id`), never a name or an address.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from commons.petitions.audit import audit
from commons.petitions.queries import signature_records, submission_rows
from instance.runtime import instance_of
from storage.models import utcnow
from storage.models.petitions import FEDERATED, HERE, MASTODON, PAPER, WAYS
from webui import formats, i18n
from webui.pages.petitions.paper_entry import facilitated
from webui.pages.petitions.petitions import GENEVA, page_url, petition_view, who_may_sign_text
from webui.render import render
from webui.session import require_viewer

if TYPE_CHECKING:
    from commons.petitions.queries import SignatureRow
    from storage.models import Petition

BOM = "\ufeff"
"""Excel reads a CSV file as UTF-8 only when it starts with this mark."""


def way_labels() -> dict[str, str]:
    _ = i18n.gettext
    return {
        HERE: _("here"),
        FEDERATED: _("another quartier"),
        MASTODON: _("Mastodon"),
        PAPER: _("paper"),
    }


def _counts_by_way(counter: Counter[str]) -> list[tuple[str, str]]:
    labels = way_labels()
    return [(labels[way], formats.format_count(counter[way])) for way in WAYS]


def _counts_by_quartier(counter: Counter[str]) -> list[tuple[str, str]]:
    paper = way_labels()[PAPER]
    return [
        (quartier or paper, formats.format_count(count))
        for quartier, count in sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    ]


def _day(row: SignatureRow) -> str:
    return row.signed_at.astimezone(GENEVA).date().isoformat()


def _file_name(petition: Petition, extension: str) -> str:
    return f"petition-{petition.uri.rsplit('/', 1)[-1]}.{extension}"


async def submission_page(request: Request) -> Response:
    """The petition, its counts and its list of signatures, laid out to be printed."""
    viewer = await require_viewer(request)
    petition, collective = await facilitated(request, viewer)
    secret = instance_of(request).settings.webui.secret_key
    async with instance_of(request).database.session() as session:
        rows = await submission_rows(session, petition, secret)
    labels = way_labels()
    context = {
        **petition_view(petition, collective, utcnow()),
        "who_may_sign": who_may_sign_text(petition, collective),
        "rows": [
            {
                "row": row,
                "day": formats.format_day(
                    row.signed_at.astimezone(GENEVA).date(), with_weekday=False
                ),
                "way": labels.get(row.way, row.way),
            }
            for row in rows
        ],
        "total": formats.format_count(len(rows)),
        "by_way": _counts_by_way(Counter(row.way for row in rows)),
        "by_quartier": _counts_by_quartier(Counter(row.quartier for row in rows)),
        "names_shown": petition.names_public,
        "printed_on": formats.format_day(utcnow().astimezone(GENEVA).date(), with_weekday=False),
        "page_url": page_url(petition),
    }
    return render(request, "petitions/export.html", context)


async def submission_csv(request: Request) -> Response:
    viewer = await require_viewer(request)
    petition, _collective = await facilitated(request, viewer)
    secret = instance_of(request).settings.webui.secret_key
    async with instance_of(request).database.session() as session:
        rows = await submission_rows(session, petition, secret)
    _ = i18n.gettext
    labels = way_labels()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = [_("Number"), _("Signed on"), _("Way"), _("Quartier"), _("Sheet"), _("Anonymous id")]
    if petition.names_public:
        header.append(_("Name"))
    writer.writerow(header)
    for row in rows:
        line = [str(row.number), _day(row), labels.get(row.way, row.way), row.quartier,
                row.sheet, row.anonymous_id]  # fmt: skip
        if petition.names_public:
            line.append(row.name or "")
        writer.writerow(line)
    return Response(
        BOM + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_file_name(petition, "csv")}"',
                 "Cache-Control": "no-store"},
    )  # fmt: skip


async def audit_page(request: Request) -> Response:
    viewer = await require_viewer(request)
    petition, collective = await facilitated(request, viewer)
    async with instance_of(request).database.session() as session:
        found = await audit(session, petition)
    context = {
        **petition_view(petition, collective, utcnow()),
        "audit": found,
        "counted": formats.format_count(found.counted),
        "withdrawn": formats.format_count(found.withdrawn),
        "stored": formats.format_count(found.stored_tally),
        "proofs_valid": formats.format_count(found.proofs_valid),
        "http_checked": formats.format_count(found.http_checked),
        "by_way": _counts_by_way(found.by_way),
        "by_quartier": _counts_by_quartier(
            Counter({("" if key == "papier" else key): n for key, n in found.by_quartier.items()})
        ),
        "page_url": page_url(petition),
    }
    return render(request, "petitions/audit.html", context)


async def signatures_json(request: Request) -> Response:
    """Every signature that counts with its proof, for anyone to check again."""
    viewer = await require_viewer(request)
    petition, collective = await facilitated(request, viewer)
    secret = instance_of(request).settings.webui.secret_key
    async with instance_of(request).database.session() as session:
        records = await signature_records(session, petition, secret)
    document: dict[str, Any] = {
        "petition": petition.uri,
        "title": petition.title,
        "collective": collective.uri,
        "deadline": petition.deadline.isoformat(),
        "signatureCount": petition.signature_count,
        "exportedAt": utcnow().isoformat(),
        "namesPublic": petition.names_public,
        "signatures": records,
    }
    return Response(
        json.dumps(document, ensure_ascii=False, indent=1),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{_file_name(petition, "json")}"',
                 "Cache-Control": "no-store"},
    )  # fmt: skip


routes: list[BaseRoute] = [
    Route("/petitions/{petition_uuid:uuid}/export", submission_page, methods=["GET"],
          name="petition_export"),
    Route("/petitions/{petition_uuid:uuid}/export.csv", submission_csv, methods=["GET"],
          name="petition_export_csv"),
    Route("/petitions/{petition_uuid:uuid}/audit", audit_page, methods=["GET"],
          name="petition_audit"),
    Route("/petitions/{petition_uuid:uuid}/proofs.json", signatures_json, methods=["GET"],
          name="petition_proofs"),
]  # fmt: skip
