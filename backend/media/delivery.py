"""How stored photo bytes reach an HTTP client: from the app with a conditional, cacheable
response (filesystem storage), or by redirect to a time-limited presigned URL (S3, so the app
never proxies S3 downloads). Shared by the staff and the customer photo views."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, request
from werkzeug.wrappers import Response as BaseResponse

from backend.media import operations as ops
from backend.media.models import Photo
from backend.media.storage import MediaSettings, storage_for


def read_upload(files: dict[str, Any], settings: MediaSettings) -> bytes:
    # One byte past the limit is enough to know it is too large, without reading it all.
    data: bytes = files["file"].stream.read(settings.max_bytes + 1)
    return data


def serve(photo: Photo, variant: str, settings: MediaSettings, download: bool) -> BaseResponse:
    key, content_type = ops.stored_variant(photo, variant)
    ext = key.rsplit(".", 1)[-1]
    name = f"{photo.id}-{variant}.{ext}"
    storage = storage_for(settings)
    if storage.external_urls:
        url = storage.url(
            key,
            expires_in=settings.url_ttl_s,
            content_type=content_type,
            download_name=name if download else None,
        )
        response = redirect(url, 302)
        response.headers["Cache-Control"] = "no-store"
        return response
    response = Response(storage.get(key), mimetype=content_type)
    return finish(response, f"{photo.sha256[:16]}-{variant}-{photo.version}", name, download)


def finish(response: Response, etag: str, name: str | None, download: bool) -> BaseResponse:
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    if download and name:
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.set_etag(etag)
    return response.make_conditional(request)
