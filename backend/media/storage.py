"""Where media bytes live: one small interface, a filesystem and an S3-compatible backend.

``get_storage()`` picks the backend from the app config: S3 when ``S3_BUCKET`` is set
(``FIELDOPS_S3_BUCKET`` plus ``FIELDOPS_S3_ENDPOINT_URL``, ``FIELDOPS_S3_ACCESS_KEY_ID``,
``FIELDOPS_S3_SECRET_ACCESS_KEY``, ``FIELDOPS_S3_REGION``), else files under ``MEDIA_ROOT``.
Other features (signatures, reports) store their bytes through the same object.

Both give time-limited URLs: S3 presigns them; the filesystem backend signs
``/api/v1/media/files/<token>`` with the app's secret (key, content type and expiry inside the
token), so an ``<img>`` tag or a PDF renderer can fetch without a bearer header, and a leaked
link stops working after ``MEDIA_URL_TTL_S`` seconds.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from itsdangerous import BadSignature, URLSafeSerializer

from backend.config import Config, settings
from backend.errors import NotFound

SIGNED_URL_PREFIX = "/api/v1/media/files"
_SALT = "fieldops-media-url"


class Storage(Protocol):
    #: True when ``url()`` points outside the app (the API then redirects to it).
    external_urls: bool

    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def url(
        self, key: str, *, expires_in: int, content_type: str, download_name: str | None = None
    ) -> str: ...


def _check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"invalid storage key {key!r}")
    return key


class LocalStorage:
    external_urls = False

    def __init__(self, root: str | os.PathLike[str], secret: str) -> None:
        self.root = Path(root).resolve()
        self._signer = URLSafeSerializer(secret, salt=_SALT)

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a file, a crash leaves no torn one.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(f"stored file {key} is missing") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def url(
        self, key: str, *, expires_in: int, content_type: str, download_name: str | None = None
    ) -> str:
        token = self._signer.dumps(
            {
                "k": _check_key(key),
                "e": int(time.time()) + expires_in,
                "t": content_type,
                "n": download_name,
            }
        )
        return f"{SIGNED_URL_PREFIX}/{token}"

    def resolve(self, token: str) -> dict[str, Any]:
        """The payload of a signed URL; NotFound when forged or expired (no oracle)."""
        try:
            payload = self._signer.loads(token)
        except BadSignature as exc:
            raise NotFound("this media link is invalid") from exc
        if int(payload.get("e", 0)) < time.time():
            raise NotFound("this media link has expired; ask for a fresh one")
        checked: dict[str, Any] = payload
        return checked


class S3Storage:
    external_urls = True

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        region: str = "us-east-1",
    ) -> None:
        import boto3
        from botocore.config import Config as BotoConfig

        self.bucket = bucket
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key_id,
            aws_secret_access_key=secret_access_key,
            region_name=region,
            config=BotoConfig(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        )

    def ensure_bucket(self) -> None:
        """Create the bucket if missing (dev and tests; production buckets are provisioned)."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=_check_key(key), Body=data, ContentType=content_type
        )

    def get(self, key: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=_check_key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise NotFound(f"stored file {key} is missing") from exc
            raise
        body: bytes = obj["Body"].read()
        return body

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=_check_key(key))
        except ClientError:
            return False
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=_check_key(key))

    def url(
        self, key: str, *, expires_in: int, content_type: str, download_name: str | None = None
    ) -> str:
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": _check_key(key),
            "ResponseContentType": content_type,
        }
        if download_name:
            params["ResponseContentDisposition"] = f'attachment; filename="{download_name}"'
        url: str = self.client.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expires_in
        )
        return url


@dataclass(frozen=True)
class MediaSettings:
    """Media knobs read from the app config (``FIELDOPS_*`` env vars land in ``EXTRA``)."""

    media_root: str
    secret: str
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    # Defaults are the settings' own (backend.config.Config owns every default).
    s3_region: str = Config.S3_REGION
    max_bytes: int = Config.PHOTO_MAX_BYTES
    max_pixels: int = Config.PHOTO_MAX_PIXELS
    # Anonymous callers (the customer report page) get a lower pixel limit.
    public_max_pixels: int = Config.PUBLIC_PHOTO_MAX_PIXELS
    # Bytes the one full-size decode of a rendition may take (processing.check_decode_budget).
    decode_budget: int = Config.PHOTO_DECODE_BUDGET_BYTES
    url_ttl_s: int = Config.MEDIA_URL_TTL_S
    public_photos_per_ticket: int = Config.PUBLIC_PHOTOS_PER_TICKET
    public_photo_limit: str = Config.PUBLIC_PHOTO_LIMIT

    @classmethod
    def from_config(cls, config: Any | None = None) -> MediaSettings:
        cfg = settings(config)
        return cls(
            media_root=cfg.MEDIA_ROOT,
            secret=cfg.SECRET_KEY,
            s3_bucket=cfg.S3_BUCKET,
            s3_endpoint_url=cfg.S3_ENDPOINT_URL,
            s3_access_key_id=cfg.S3_ACCESS_KEY_ID,
            s3_secret_access_key=cfg.S3_SECRET_ACCESS_KEY,
            s3_region=cfg.S3_REGION,
            max_bytes=cfg.PHOTO_MAX_BYTES,
            max_pixels=cfg.PHOTO_MAX_PIXELS,
            public_max_pixels=cfg.PUBLIC_PHOTO_MAX_PIXELS,
            decode_budget=cfg.PHOTO_DECODE_BUDGET_BYTES,
            url_ttl_s=cfg.MEDIA_URL_TTL_S,
            public_photos_per_ticket=cfg.PUBLIC_PHOTOS_PER_TICKET,
            public_photo_limit=cfg.PUBLIC_PHOTO_LIMIT,
        )


_cache: dict[tuple[Any, ...], Storage] = {}
_lock = threading.Lock()


def storage_for(settings: MediaSettings) -> Storage:
    """One backend object per distinct configuration (a boto3 client is slow to build)."""
    if settings.s3_bucket:
        key: tuple[Any, ...] = (
            "s3",
            settings.s3_bucket,
            settings.s3_endpoint_url,
            settings.s3_access_key_id,
            settings.s3_secret_access_key,
            settings.s3_region,
        )
    else:
        key = ("local", settings.media_root, settings.secret)
    with _lock:
        backend = _cache.get(key)
        if backend is None:
            if settings.s3_bucket:
                backend = S3Storage(
                    settings.s3_bucket,
                    endpoint_url=settings.s3_endpoint_url,
                    access_key_id=settings.s3_access_key_id,
                    secret_access_key=settings.s3_secret_access_key,
                    region=settings.s3_region,
                )
            else:
                backend = LocalStorage(settings.media_root, settings.secret)
            _cache[key] = backend
        return backend


def get_storage(config: Any | None = None) -> Storage:
    return storage_for(MediaSettings.from_config(config))
