"""Photo endpoints: upload on a ticket, renditions and originals, the customer's report photos,
and the signed links of the filesystem storage backend.

Thin views: parse (smorest schemas), check who is calling, call ``backend.media.operations``,
serialise. Bytes are served from the filesystem by the app, or by redirecting to a
time-limited presigned URL when S3 is configured (the app never proxies S3 downloads).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from flask import Response, url_for
from flask.typing import ResponseReturnValue
from flask_smorest import Blueprint

from backend.accounts.permissions import current_user, require_login
from backend.api.contract import ErrorSchema
from backend.api.schemas_common import BEARER, BINARY
from backend.media import operations as ops
from backend.media.delivery import finish, read_upload, serve
from backend.media.limits import public_read_limits, public_upload_limits
from backend.media.models import Photo
from backend.media.schemas import (
    PhotoOut,
    PublicPhotoOut,
    PublicUploadForm,
    PublicUploadMultipart,
    UploadFiles,
    UploadForm,
    UploadMultipart,
    VariantQuery,
    multipart,
    present,
)
from backend.media.storage import LocalStorage, MediaSettings, storage_for

blp = Blueprint(
    "media", __name__, url_prefix="/api/v1", description="Job photos: upload and renditions"
)
public_blp = Blueprint(
    "public_photos",
    __name__,
    url_prefix="/api/v1/public",
    description="Photos a customer attaches to their fault report (no login)",
)
blueprints = [blp, public_blp]


def _err(code: int, description: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    decorator: Callable[[Callable[..., Any]], Callable[..., Any]] = blp.alt_response(
        code, schema=ErrorSchema, description=description
    )
    return decorator


def _perr(code: int, description: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    decorator: Callable[[Callable[..., Any]], Callable[..., Any]] = public_blp.alt_response(
        code, schema=ErrorSchema, description=description
    )
    return decorator


def _staff_url(photo: Photo) -> Callable[[str], str]:
    return lambda v: url_for("media.photo_variant", photo_id=photo.id, variant=v)


def _public_url(token: str, photo: Photo) -> Callable[[str], str]:
    return lambda v: url_for(
        "public_photos.public_photo_variant", tracking_token=token, photo_id=photo.id, variant=v
    )


# --- authenticated --------------------------------------------------------------------------


@blp.route("/tickets/<uuid:ticket_id>/photos", methods=["POST"])
@blp.doc(security=BEARER)
@blp.arguments(UploadForm, location="form")
@blp.arguments(UploadFiles, location="files")
@blp.doc(**multipart(UploadMultipart))
@blp.response(201, PhotoOut, description="stored (or already stored: same id and bytes)")
@_err(401, "not logged in")
@_err(404, "no such ticket, or not yours")
@_err(409, "the id is registered with another sha256 (photos are immutable)")
@_err(413, "file or pixel count over the limit")
@_err(415, "not a JPEG, PNG or WebP image")
@_err(422, "missing/invalid fields, damaged image, or sha256 not matching the bytes")
@require_login
def upload(form: dict[str, Any], files: dict[str, Any], ticket_id: uuid.UUID) -> dict[str, Any]:
    """Upload a photo's bytes (multipart ``file`` + client ``id``); idempotent per id+bytes."""
    settings = MediaSettings.from_config()
    photo, _ = ops.upload_photo(
        actor=current_user(),
        ticket_id=ticket_id,
        photo_id=form["id"],
        data=read_upload(files, settings),
        sha256=form.get("sha256"),
        settings=settings,
    )
    return present(photo, _staff_url(photo))


@blp.route("/tickets/<uuid:ticket_id>/photos", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(VariantQuery, location="query", as_kwargs=True)
@blp.response(200, PhotoOut(many=True))
@_err(401, "not logged in")
@_err(404, "no such ticket, or not yours")
@require_login
def list_photos(ticket_id: uuid.UUID, download: bool = False) -> list[dict[str, Any]]:
    """The ticket's photos, registered and uploaded, oldest first."""
    return [present(p, _staff_url(p)) for p in ops.list_photos(ticket_id, current_user())]


@blp.route("/photos/<uuid:photo_id>/<any(original, display, thumb):variant>", methods=["GET"])
@blp.doc(security=BEARER)
@blp.arguments(VariantQuery, location="query", as_kwargs=True)
@blp.response(200, BINARY, content_type="image/jpeg", description="the image bytes", example=None)
@blp.alt_response(302, description="redirect to a time-limited storage URL (S3)", success=True)
@_err(401, "not logged in")
@_err(403, "originals are for dispatchers and admins only")
@_err(404, "no such photo, or not yours")
@_err(409, "not uploaded yet, or the rendition is not ready")
@require_login
def photo_variant(photo_id: uuid.UUID, variant: str, download: bool = False) -> ResponseReturnValue:
    """A rendition (``display`` 1600 px, ``thumb`` 320 px) or the original (staff)."""
    photo = ops.photo_for_viewer(photo_id, current_user(), variant)
    return serve(photo, variant, MediaSettings.from_config(), download)


@blp.route("/media/files/<token>", methods=["GET"])
@blp.doc(security=[])
@blp.arguments(VariantQuery, location="query", as_kwargs=True)
@blp.response(200, BINARY, content_type="application/octet-stream", description="the stored bytes")
@_err(404, "the link is forged or has expired")
def signed_file(token: str, download: bool = False) -> ResponseReturnValue:
    """A time-limited link made by the filesystem storage (no login: the link is the key)."""
    settings = MediaSettings.from_config()
    storage = storage_for(settings)
    if not isinstance(storage, LocalStorage):
        from backend.errors import NotFound

        raise NotFound("signed app links are only used with filesystem storage")
    payload = storage.resolve(token)
    response = Response(storage.get(payload["k"]), mimetype=payload.get("t"))
    return finish(response, token[-24:], payload.get("n"), download or bool(payload.get("n")))


# --- public (customer report) -------------------------------------------------------------


@public_blp.route("/tracking/<tracking_token>/photos", methods=["POST"])
@public_blp.doc(security=[])
@public_blp.arguments(PublicUploadForm, location="form")
@public_blp.arguments(UploadFiles, location="files")
@public_blp.doc(**multipart(PublicUploadMultipart))
@public_blp.response(201, PublicPhotoOut)
@_perr(404, "unknown tracking link")
@_perr(409, "the report already has its maximum number of photos")
@_perr(413, "file or pixel count over the limit")
@_perr(415, "not a JPEG, PNG or WebP image")
@_perr(422, "missing file or damaged image")
@_perr(429, "too many uploads; see Retry-After")
@public_upload_limits
def public_upload(
    form: dict[str, Any], files: dict[str, Any], tracking_token: str
) -> dict[str, Any]:
    """Attach a photo to your report (at most 3; same validation as staff uploads)."""
    settings = MediaSettings.from_config()
    photo, _ = ops.upload_public_photo(
        tracking_token=tracking_token,
        photo_id=form.get("id"),
        data=read_upload(files, settings),
        settings=settings,
    )
    return present(photo, _public_url(tracking_token, photo))


@public_blp.route("/tracking/<tracking_token>/photos", methods=["GET"])
@public_blp.doc(security=[])
@public_blp.arguments(VariantQuery, location="query", as_kwargs=True)
@public_blp.response(200, PublicPhotoOut(many=True))
@_perr(404, "unknown tracking link")
@_perr(429, "too many requests; see Retry-After")
@public_read_limits
def public_list(tracking_token: str, download: bool = False) -> list[dict[str, Any]]:
    """The photos you sent with your report."""
    return [
        present(p, _public_url(tracking_token, p)) for p in ops.list_public_photos(tracking_token)
    ]


@public_blp.route(
    "/tracking/<tracking_token>/photos/<uuid:photo_id>/<any(display, thumb):variant>",
    methods=["GET"],
)
@public_blp.doc(security=[])
@public_blp.arguments(VariantQuery, location="query", as_kwargs=True)
@public_blp.response(200, BINARY, content_type="image/jpeg", description="the image bytes")
@public_blp.alt_response(302, description="redirect to a time-limited storage URL", success=True)
@_perr(404, "unknown link or not one of your photos")
@_perr(409, "the rendition is not ready yet")
@_perr(429, "too many requests; see Retry-After")
@public_read_limits
def public_photo_variant(
    tracking_token: str, photo_id: uuid.UUID, variant: str, download: bool = False
) -> ResponseReturnValue:
    """A rendition of one of your report's photos (never the original)."""
    photo = ops.public_photo(tracking_token, photo_id, variant)
    return serve(photo, variant, MediaSettings.from_config(), download)
