"""``/modeler/drafts/<id>``: one file of a draft in its editor (?file=NAME, the process's .bpmn by
default): bpmn-js's modeler with the properties panel, dmn-js's for tables, a text editor with the
staff's rendering beside it for forms; Save and Validate call the drafts API. ``/modeler/processes/
<key>/versions/<n>`` shows a deployed version's diagram in the same editor, read-only."""

from __future__ import annotations

from typing import Any

from flask import make_response, render_template, request, url_for
from flask.typing import ResponseReturnValue

from ...errors import NotFound
from ...service import diagram_drafts
from ...service.definition_versions import list_process_versions
from ...service.modeler_choices import editor_choices
from ...service.version_compare import list_versions
from ..auth import services
from ..i18n import current_language
from ..shell import require_page_actor
from . import bp
from .texts import editor_texts

# bpmn-js's and dmn-js's modelers set style attributes from markup (their menus' icons, the table's
# cells), which style-src 'self' refuses; scripts stay 'self' only.
EDITOR_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)
KINDS = {
    ".bpmn": ("bpmn", "application/xml"),
    ".dmn": ("dmn", "application/xml"),
    ".json": ("form", "application/json"),
}


def _kind(name: str) -> tuple[str, str]:
    suffix = name[name.rfind(".") :] if "." in name else ""
    return KINDS.get(suffix, ("", "application/octet-stream"))


def _config(file: str, revision: int | None, urls: dict[str, str], own: dict[str, bytes]) -> dict[str, Any]:
    kind, content_type = _kind(file)
    choices = editor_choices(services(), require_page_actor(), own)
    urls = {
        "timer_preview": url_for("api.timer_preview"),
        "form_preview": url_for("modeler.form_preview"),
        **urls,
    }
    return {
        "file": file,
        "kind": kind,
        "content_type": content_type,
        "revision": revision,
        "read_only": revision is None,
        "urls": urls,
        "forms": choices.forms,
        "decisions": choices.decisions,
        "language": "zh-CN" if current_language() == "zh_CN" else "en",
        "texts": editor_texts(),
    }


def _main_file(process_key: str, names: list[str]) -> str:
    preferred = f"{process_key}.bpmn"
    if preferred in names:
        return preferred
    return next((name for name in names if name.endswith(".bpmn")), names[0] if names else "")


@bp.get("/drafts/<int:draft_id>")
def editor(draft_id: int) -> ResponseReturnValue:
    actor = require_page_actor()
    draft = diagram_drafts.get_draft(services(), draft_id, actor)
    names = [item.name for item in draft.files]
    file = request.args.get("file") or _main_file(draft.process_key, names)
    if file not in names or not _kind(file)[0]:
        raise NotFound(f"draft {draft_id} has no file {file!r}")
    base = f"/api/v1/drafts/{draft_id}"
    own = diagram_drafts.draft_files(services(), draft_id, actor)
    urls = {
        "source": f"{base}/files/{file}",
        "file": f"{base}/files/{file}",
        "validate": f"{base}/validations",
        "deploy": url_for("api.diagram_deploy_draft", draft_id=draft_id),
        "compare": _pair_url("modeler.compare"),
        "migrate": _pair_url("modeler.migrate_page"),
    }
    config = _config(file, draft.revision, urls, own)
    page = render_template(
        "modeler/editor.html",
        draft=draft,
        names=names,
        file=file,
        config=config,
        base_compare=_base_compare(draft.process_key, draft.base_version),
    )
    return _page(page)


def _pair_url(endpoint: str) -> str:
    """The page of two versions of a process, ``{key}``, ``{from}`` and ``{to}`` filled in by the script."""
    return url_for(endpoint, key="KEY").replace("KEY", "{key}") + "?from={from}&to={to}"


def _base_compare(process_key: str, base: int | None) -> tuple[str, int, int] | None:
    """A link from the draft's version to the latest one, or (when it is the latest) from the one before."""
    if base is None:
        return None
    try:
        latest = list_versions(services(), process_key, require_page_actor())[-1]
    except NotFound:
        return None
    source, target = (base, latest) if base < latest else (base - 1, base)
    if source < 1:
        return None
    pair: dict[str, Any] = {"from": source, "to": target}
    return url_for("modeler.compare", key=process_key, **pair), source, target


@bp.get("/processes/<key>/versions/<int:version>")
def version_view(key: str, version: int) -> ResponseReturnValue:
    """A deployed version's diagram in the modeler, read-only (start a draft to change it)."""
    actor = require_page_actor()
    process = next((p for p in list_process_versions(services(), actor) if p.process_key == key), None)
    if process is None or all(v.version != version for v in process.versions):
        raise NotFound(f"process {key!r} has no version {version}")
    source = url_for("api.definition_xml", key=key, version=version)
    config = _config(process.main_file, None, {"source": source, "file": "", "validate": ""}, {})
    page = render_template(
        "modeler/editor.html",
        draft=None,
        process=process,
        version=version,
        file=process.main_file,
        names=[],
        config=config,
    )
    return _page(page)


def _page(html: str) -> ResponseReturnValue:
    response = make_response(html)
    response.headers["Content-Security-Policy"] = EDITOR_POLICY
    return response
