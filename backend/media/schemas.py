"""marshmallow schemas of the photo endpoints (upload forms, photo outputs) and ``present``,
which shapes a photo for them; inputs and outputs kept apart."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_smorest.fields import Upload
from marshmallow import EXCLUDE, Schema, fields, validate

from backend.media.models import RENDITIONS, Photo

SHA256 = validate.Regexp(r"^[0-9a-fA-F]{64}$", error="sha256 must be 64 hexadecimal characters")


class UploadForm(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.UUID(required=True, metadata={"description": "client-generated photo id"})
    sha256 = fields.String(
        load_default=None,
        validate=SHA256,
        metadata={"description": "SHA-256 of the file; must match a registered photo"},
    )


class PublicUploadForm(Schema):
    class Meta:
        unknown = EXCLUDE

    id = fields.UUID(load_default=None, metadata={"description": "optional client id (retries)"})


class UploadFiles(Schema):
    file = Upload(required=True, metadata={"description": "JPEG, PNG or WebP image"})


# flask-smorest documents only the last ``arguments`` of a request body, so the two parts
# (form fields + file) were documented as the file alone; these document the whole form.
class UploadMultipart(UploadForm):
    file = Upload(required=True, metadata={"description": "JPEG, PNG or WebP image"})


class PublicUploadMultipart(PublicUploadForm):
    file = Upload(required=True, metadata={"description": "JPEG, PNG or WebP image"})


def multipart(schema: type[Schema]) -> dict[str, Any]:
    """``@blp.doc`` arguments documenting a multipart body as one form schema."""
    return {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}
    }


class VariantQuery(Schema):
    download = fields.Boolean(
        load_default=False, metadata={"description": "serve as an attachment"}
    )


class RenditionOut(Schema):
    url = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    size = fields.Integer()
    content_type = fields.String()


class PhotoOut(Schema):
    id = fields.UUID()
    ticket_id = fields.UUID()
    status = fields.String(metadata={"description": "pending (registered) | uploaded"})
    processing = fields.String(metadata={"description": "renditions: waiting | ready | failed"})
    processing_error = fields.String(allow_none=True)
    origin = fields.String(metadata={"description": "staff | public (customer report)"})
    sha256 = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    captured_at = fields.DateTime(allow_none=True)
    uploaded_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    version = fields.Integer()
    renditions = fields.Dict(keys=fields.String(), values=fields.Nested(RenditionOut))


class PublicPhotoOut(Schema):
    id = fields.UUID()
    status = fields.String()
    processing = fields.String()
    uploaded_at = fields.DateTime(allow_none=True)
    renditions = fields.Dict(keys=fields.String(), values=fields.Nested(RenditionOut))


def present(photo: Photo, url_of: Callable[[str], str]) -> dict[str, Any]:
    """The photo with a URL per ready rendition (``url_of(variant)``)."""
    renditions = {}
    for name in RENDITIONS:
        r = photo.rendition(name)
        if r is not None:
            renditions[name] = {**r, "url": url_of(name)}
    return {
        **{c: getattr(photo, c) for c in PhotoOut._declared_fields if c != "renditions"},
        "renditions": renditions,
    }


class SyncRenditionOut(Schema):
    url = fields.String(required=True, metadata={"description": "API path; checks access"})
    width = fields.Integer(required=True, allow_none=True)
    height = fields.Integer(required=True, allow_none=True)
    size = fields.Integer(required=True, allow_none=True)


class PhotoSyncOut(Schema):
    """A photo as a phone mirrors it (``Photo.to_sync``): no storage keys, rendition URLs."""

    id = fields.UUID(required=True)
    ticket_id = fields.UUID(required=True)
    uploaded_by_id = fields.UUID(required=True, allow_none=True)
    origin = fields.String(required=True)
    status = fields.String(required=True)
    processing = fields.String(required=True)
    sha256 = fields.String(required=True)
    content_type = fields.String(required=True)
    size = fields.Integer(required=True)
    width = fields.Integer(required=True, allow_none=True)
    height = fields.Integer(required=True, allow_none=True)
    captured_at = fields.DateTime(required=True, allow_none=True)
    uploaded_at = fields.DateTime(required=True, allow_none=True)
    created_at = fields.DateTime(required=True, allow_none=True)
    updated_at = fields.DateTime(required=True, allow_none=True)
    version = fields.Integer(required=True)
    renditions = fields.Dict(
        keys=fields.String(), values=fields.Nested(SyncRenditionOut), required=True
    )
