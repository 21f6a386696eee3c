"""Attachments: what an upload is judged by (its bytes), where it goes (disk by hash, a row), who sees
it, and how start and complete use the ids in their forms' file fields."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from attachment_files import MZ, PDF, image_bytes, noise_png, png_header_only
from PIL import Image
from sqlalchemy import func, select
from support import AGENT, ANALYST, DATA, MANAGER

from rma_orchestrator.errors import Conflict, Forbidden, InvalidData, NotFound
from rma_orchestrator.service.attachments import (
    Upload,
    add_attachment,
    add_attachments,
    attachment_file,
    get_attachment,
    list_attachments,
)
from rma_orchestrator.service.context import Actor, Services
from rma_orchestrator.service.definitions import deploy
from rma_orchestrator.service.forms import file_references
from rma_orchestrator.service.instances import cancel_instance, get_instance, list_events, start_instance
from rma_orchestrator.service.tasks import complete_task
from rma_orchestrator.store.models import TABLES

OTHER_AGENT = Actor("cs2", "staff", frozenset({"customer_service"}))
CUSTOMER = Actor("c1", "customer")  # a role that reads no cases


def files_on_disk(services: Services) -> list[Path]:
    root = services.settings.data_dir
    return sorted(
        p for folder in ("attachments", "thumbnails") for p in (root / folder).rglob("*") if p.is_file()
    )


def attachment_rows(services: Services) -> int:
    with services.database.reading() as connection:
        return int(connection.execute(select(func.count()).select_from(TABLES["attachment"])).scalar_one())


@pytest.fixture
def claims(services: Services) -> Services:
    """The photo claim process: file fields in its start form (one by $ref, one nested) and its task."""
    files = {p.name: p.read_bytes() for p in sorted((DATA / "attachments").iterdir())}
    deploy(services, files, ANALYST)
    return services


def start_claim(services: Services, actor: Actor = AGENT, **data: Any) -> int:
    return start_instance(services, "photo_claim", {"order_no": "SO-1", **data}, actor).id


# ---- what is accepted, what is refused ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "content_type", "size"),
    [
        (image_bytes("JPEG"), "image/jpeg", (40, 30)),
        (image_bytes("PNG", (30, 50), "RGBA"), "image/png", (30, 50)),
        (image_bytes("WEBP", (64, 16)), "image/webp", (64, 16)),
        (PDF, "application/pdf", None),
    ],
    ids=["jpeg", "png", "webp", "pdf"],
)
def test_each_accepted_type_is_known_by_its_bytes(
    claims: Services, content: bytes, content_type: str, size: tuple[int, int] | None
) -> None:
    case = start_claim(claims)
    info = add_attachment(claims, AGENT, case, "photo", "upload.bin", content)
    assert info.content_type == content_type
    assert (info.width, info.height) == (size or (None, None))
    assert info.size == len(content)
    assert info.sha256 == hashlib.sha256(content).hexdigest()
    assert info.instance_id == case and info.uploaded_by == "cs1" and info.filename == "upload.bin"
    stored, path = attachment_file(claims, AGENT, info.id)
    assert path.read_bytes() == content and path.name == info.sha256 and path.parent.name == info.sha256[:2]
    assert stored == info
    assert info.has_thumbnail is (size is not None)
    if size is not None:
        _, thumbnail = attachment_file(claims, AGENT, info.id, thumbnail=True)
        with Image.open(thumbnail) as image:
            assert image.format == "JPEG"
    else:
        with pytest.raises(NotFound, match="no thumbnail"):
            attachment_file(claims, AGENT, info.id, thumbnail=True)


def test_a_thumbnail_is_at_most_320_pixels_on_its_longest_side(claims: Services) -> None:
    info = add_attachment(claims, AGENT, None, "photo", "big.png", image_bytes("PNG", (1000, 400)))
    _, path = attachment_file(claims, AGENT, info.id, thumbnail=True)
    with Image.open(path) as image:
        assert image.size == (320, 128)
    assert (info.width, info.height) == (1000, 400)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (MZ, "not accepted; send a JPEG, PNG, WebP or PDF"),  # a program named .jpg
        (b"GIF89a" + b"\x00" * 40, "not accepted"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "not accepted"),
        (b"\x89PNG\r\n\x1a\n" + b"garbage" * 20, "PNG image is damaged"),
        (image_bytes("JPEG")[:-200], "JPEG image is damaged"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 64, "JPEG image is damaged"),
        (b"%PDF-1.4\nno end", "PDF file is damaged"),
        (b"", "empty"),
        (png_header_only(30000, 30000), "too many pixels"),  # a decompression bomb
        (png_header_only(10000, 10000), "too many pixels"),  # over Pillow's limit, under twice it
    ],
    ids=[
        "exe",
        "gif",
        "svg",
        "png-garbage",
        "jpeg-cut",
        "jpeg-header",
        "pdf-cut",
        "empty",
        "bomb",
        "bomb-small",
    ],
)
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow warns, we refuse
def test_a_refused_upload_changes_nothing(claims: Services, content: bytes, message: str) -> None:
    case = start_claim(claims)
    events = len(list_events(claims, case, AGENT).items)
    with pytest.raises(InvalidData) as refused:
        add_attachment(claims, AGENT, case, "photo", "holiday.jpg", content)
    assert refused.value.items[0]["field"] == "file"
    assert message in refused.value.items[0]["message"]
    assert attachment_rows(claims) == 0
    assert files_on_disk(claims) == []
    assert len(list_events(claims, case, AGENT).items) == events


def test_a_file_over_the_limit_is_refused_saying_the_limit(claims: Services) -> None:
    small = Services(**{**claims.__dict__, "settings": _with_limit(claims, 0.001)})  # 1,048 bytes
    with pytest.raises(InvalidData, match="larger than the limit of 0.001 MB"):
        add_attachment(small, AGENT, None, "photo", "a.png", noise_png())
    assert attachment_rows(claims) == 0 and files_on_disk(claims) == []
    assert add_attachment(small, AGENT, None, "other", "a.pdf", PDF).size == len(PDF)


def _with_limit(services: Services, megabytes: float) -> Any:
    from dataclasses import replace

    return replace(services.settings, max_upload_mb=megabytes)


def test_an_unknown_kind_is_refused_before_the_content_is_looked_at(claims: Services) -> None:
    with pytest.raises(InvalidData) as refused:
        add_attachment(claims, AGENT, None, "selfie", "a.pdf", PDF)
    assert refused.value.items[0]["field"] == "kind"
    assert attachment_rows(claims) == 0


def test_the_same_bytes_twice_are_one_file_and_two_rows(claims: Services) -> None:
    case = start_claim(claims)
    content = image_bytes("PNG")
    first = add_attachment(claims, AGENT, case, "photo", "front.png", content)
    second = add_attachment(claims, MANAGER, case, "evidence", "again.png", content)
    assert first.id != second.id and first.sha256 == second.sha256
    assert attachment_rows(claims) == 2
    assert len(files_on_disk(claims)) == 2  # the original and its thumbnail, once each
    listed = list_attachments(claims, AGENT, case)
    assert [(a.id, a.kind, a.filename, a.uploaded_by) for a in listed] == [
        (first.id, "photo", "front.png", "cs1"),
        (second.id, "evidence", "again.png", "mia"),
    ]


def test_the_file_name_is_cleaned_for_display(claims: Services) -> None:
    info = add_attachment(claims, AGENT, None, "other", "C:\\fakepath\\..\\re\x00ceipt\u202e.pdf", PDF)
    assert info.filename == "receipt.pdf"
    long = add_attachment(claims, AGENT, None, "other", "x" * 400 + ".pdf", PDF)
    assert len(long.filename) == 255 and long.filename.endswith("x.pdf")
    assert add_attachment(claims, AGENT, None, "other", "../", PDF).filename == "file"


def test_an_upload_to_a_case_is_in_its_audit_trail(claims: Services) -> None:
    case = start_claim(claims)
    info = add_attachment(claims, AGENT, case, "photo", "a.png", image_bytes("PNG"))
    event = list_events(claims, case, AGENT).items[-1]
    assert event.kind == "attachment_added" and event.actor == "cs1"
    assert event.details["attachment_id"] == info.id and event.details["attachment_kind"] == "photo"


def test_an_upload_may_name_a_task_of_its_case_only(claims: Services) -> None:
    case, other = start_claim(claims), start_claim(claims)
    task = get_instance(claims, case, AGENT).tasks[0]
    info = add_attachment(claims, AGENT, case, "evidence", "a.pdf", PDF, task_id=task.id)
    assert info.task_id == task.id
    with pytest.raises(InvalidData) as refused:
        add_attachment(claims, AGENT, other, "evidence", "a.pdf", PDF, task_id=task.id)
    assert refused.value.items[0]["field"] == "task_id"
    assert attachment_rows(claims) == 1


# ---- which cases take uploads, who sees them --------------------------------------------------------


def test_an_ended_case_takes_no_uploads_and_an_unknown_one_is_not_found(claims: Services) -> None:
    case = start_claim(claims)
    cancel_instance(claims, case, MANAGER)
    with pytest.raises(Conflict, match="cancelled"):
        add_attachment(claims, AGENT, case, "photo", "a.pdf", PDF)
    with pytest.raises(NotFound):
        add_attachment(claims, AGENT, 999_999, "photo", "a.pdf", PDF)
    assert attachment_rows(claims) == 0 and files_on_disk(claims) == []


def test_unknown_ids_are_not_found(claims: Services) -> None:
    for attachment_id in (1, 999_999, 0, -5, 2**40):
        with pytest.raises(NotFound):
            attachment_file(claims, AGENT, attachment_id)
    with pytest.raises(NotFound):
        list_attachments(claims, AGENT, 999_999)


def test_a_staged_upload_is_seen_by_its_uploader_alone(claims: Services) -> None:
    staged = add_attachment(claims, AGENT, None, "photo", "a.png", image_bytes("PNG"))
    assert staged.instance_id is None
    assert get_attachment(claims, AGENT, staged.id) == staged
    for someone_else in (OTHER_AGENT, MANAGER, ANALYST):
        with pytest.raises(NotFound):
            attachment_file(claims, someone_else, staged.id)


def test_a_case_attachment_is_seen_by_whoever_reads_cases(claims: Services) -> None:
    case = start_claim(claims)
    info = add_attachment(claims, AGENT, case, "photo", "a.pdf", PDF)
    warehouse = Actor("wh1", "staff", frozenset({"warehouse"}))
    for reader in (OTHER_AGENT, warehouse, MANAGER, ANALYST):
        assert attachment_file(claims, reader, info.id)[0].id == info.id
        assert [a.id for a in list_attachments(claims, reader, case)] == [info.id]
    with pytest.raises(Forbidden):
        attachment_file(claims, CUSTOMER, info.id)
    with pytest.raises(Forbidden):
        list_attachments(claims, CUSTOMER, case)
    with pytest.raises(Forbidden):
        add_attachment(claims, CUSTOMER, case, "photo", "a.pdf", PDF)
    with pytest.raises(Forbidden):  # staged uploads are for starting cases, which analysts do not
        add_attachment(claims, ANALYST, None, "photo", "a.pdf", PDF)
    assert attachment_rows(claims) == 1


# ---- file fields: start links staged uploads, complete names the case's own ------------------------


def test_the_form_walk_finds_ids_in_nested_and_referenced_file_fields() -> None:
    form = {
        "type": "object",
        "properties": {
            "photos": {"$ref": "#/$defs/files"},
            "note": {"type": "string"},
            "lines": {
                "type": "array",
                "items": {"type": "object", "properties": {"proof": {"$ref": "#/$defs/files"}}},
            },
            "purchase": {
                "type": "object",
                "properties": {"receipt": {"type": "integer", "ui:widget": "file"}},
            },
        },
        "$defs": {"files": {"type": "array", "items": {"type": "integer"}, "ui:widget": "file"}},
    }
    data = {"photos": [3, 4], "note": "7", "lines": [{"proof": [5]}, {}], "purchase": {"receipt": 6}}
    assert [(r.path, r.id) for r in file_references(form, data)] == [
        ("photos.0", 3),
        ("photos.1", 4),
        ("lines.0.proof.0", 5),
        ("purchase.receipt", 6),
    ]
    assert file_references(form, {"note": "x"}) == []


def test_a_start_links_the_staged_uploads_its_form_names(claims: Services) -> None:
    photo = add_attachment(claims, AGENT, None, "photo", "front.jpg", image_bytes("JPEG"))
    receipt = add_attachment(claims, AGENT, None, "proof_of_purchase", "receipt.pdf", PDF)
    unused = add_attachment(claims, AGENT, None, "photo", "spare.png", image_bytes("PNG"))
    case = start_claim(claims, photos=[photo.id], purchase={"shop": "A", "receipt": [receipt.id]})
    assert [a.id for a in list_attachments(claims, AGENT, case)] == [photo.id, receipt.id]
    assert get_attachment(claims, AGENT, photo.id).instance_id == case
    assert get_attachment(claims, AGENT, unused.id).instance_id is None
    added = [
        e.details["attachment_id"]
        for e in list_events(claims, case, AGENT).items
        if e.kind == "attachment_added"
    ]
    assert sorted(added) == [photo.id, receipt.id]
    assert get_instance(claims, case, OTHER_AGENT).data["photos"] == [photo.id]
    # linked now, no longer staged: a second case cannot take it
    with pytest.raises(InvalidData) as refused:
        start_claim(claims, photos=[photo.id])
    assert refused.value.items == [
        {
            "field": "photos.0",
            "message": f"attachment {photo.id} is not an upload of yours waiting for a new case",
        }
    ]


def test_a_start_naming_another_users_upload_is_refused_and_starts_nothing(claims: Services) -> None:
    mine = add_attachment(claims, AGENT, None, "photo", "a.png", image_bytes("PNG"))
    theirs = add_attachment(claims, OTHER_AGENT, None, "photo", "b.png", image_bytes("PNG", (9, 9)))
    with pytest.raises(InvalidData) as refused:
        start_claim(claims, photos=[mine.id], purchase={"receipt": [theirs.id, 999_999]})
    assert [e["field"] for e in refused.value.items] == ["purchase.receipt.0", "purchase.receipt.1"]
    with claims.database.reading() as connection:
        assert (
            connection.execute(select(func.count()).select_from(TABLES["process_instance"])).scalar_one() == 0
        )
    assert get_attachment(claims, AGENT, mine.id).instance_id is None
    assert get_attachment(claims, OTHER_AGENT, theirs.id).instance_id is None


@pytest.mark.parametrize("wrong", [-(10**26), 0, 2**63, 10**30])
def test_an_id_no_attachment_can_have_is_refused_at_its_field(claims: Services, wrong: int) -> None:
    """Out of the id column's range (the API sweep once sent -3·10²⁵): the field's error, not a 500."""
    with pytest.raises(InvalidData) as refused:
        start_claim(claims, photos=[wrong])
    why = f"attachment {wrong} is not an upload of yours waiting for a new case"
    assert refused.value.items == [{"field": "photos.0", "message": why}]
    with claims.database.reading() as connection:
        assert (
            connection.execute(select(func.count()).select_from(TABLES["process_instance"])).scalar_one() == 0
        )


def test_a_file_field_takes_only_attachments_of_its_kind(claims: Services) -> None:
    """A photo named in the proof-of-purchase field would count as a proof: refused, nothing starts."""
    photo = add_attachment(claims, AGENT, None, "photo", "front.jpg", image_bytes("JPEG"))
    with pytest.raises(InvalidData) as refused:
        start_claim(claims, purchase={"shop": "A", "receipt": [photo.id]})
    assert refused.value.items == [
        {
            "field": "purchase.receipt.0",
            "message": f"attachment {photo.id} is a photo, this field takes proof_of_purchase",
        }
    ]
    assert get_attachment(claims, AGENT, photo.id).instance_id is None
    receipt = add_attachment(claims, AGENT, None, "proof_of_purchase", "r.pdf", PDF)
    case = start_claim(claims, purchase={"shop": "A", "receipt": [receipt.id]})
    assert [a.id for a in list_attachments(claims, AGENT, case)] == [receipt.id]


def test_a_start_naming_an_attachment_of_a_case_is_refused(claims: Services) -> None:
    case = start_claim(claims)
    on_case = add_attachment(claims, AGENT, case, "photo", "a.pdf", PDF)
    with pytest.raises(InvalidData, match="may not use"):
        start_claim(claims, photos=[on_case.id])


def test_a_completion_names_attachments_of_its_own_case_only(claims: Services) -> None:
    case, other = start_claim(claims), start_claim(claims)
    task = get_instance(claims, case, AGENT).tasks[0]
    elsewhere = add_attachment(claims, AGENT, other, "evidence", "x.pdf", PDF)
    staged = add_attachment(claims, AGENT, None, "evidence", "y.pdf", PDF)
    for foreign in (elsewhere.id, staged.id, 999_999):
        with pytest.raises(InvalidData) as refused:
            complete_task(claims, task.id, {"passed": True, "evidence": [foreign]}, AGENT)
        assert refused.value.items == [
            {"field": "evidence.0", "message": f"attachment {foreign} is not an attachment of this case"}
        ]
    assert get_instance(claims, case, AGENT).status == "running"
    own = add_attachment(claims, AGENT, case, "evidence", "z.png", image_bytes("PNG"))
    assert complete_task(claims, task.id, {"passed": True, "evidence": [own.id]}, AGENT).status == "completed"
    assert get_instance(claims, case, AGENT).status == "completed"
    assert get_attachment(claims, AGENT, own.id).task_id == task.id  # the task it came with
    with pytest.raises(Conflict):  # the case has ended
        add_attachment(claims, AGENT, case, "evidence", "late.pdf", PDF)


def test_several_uploads_keep_none_when_one_is_refused(claims: Services) -> None:
    case = start_claim(claims)
    good = Upload("photo", "kettle.png", image_bytes("PNG"), field="photos")
    bad = Upload("proof_of_purchase", "receipt.pdf", MZ, field="proof_of_purchase")
    with pytest.raises(InvalidData) as refused:
        add_attachments(claims, AGENT, case, [good, bad])
    assert [item["field"] for item in refused.value.items] == ["proof_of_purchase"]
    assert attachment_rows(claims) == 0 and files_on_disk(claims) == []
    kept = add_attachments(claims, AGENT, case, [good, Upload("proof_of_purchase", "r.pdf", PDF)])
    assert [a.kind for a in kept] == ["photo", "proof_of_purchase"] and attachment_rows(claims) == 2
