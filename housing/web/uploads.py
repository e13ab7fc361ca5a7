"""Uploaded files (a worker's rental contract, a photo of a broken heater): checked and stored once, here.

A file's type is read from its first bytes, never from its name or the client's
`Content-Type` (a renamed `.exe` is not a PDF); only PDF, JPEG and PNG are taken, at most
10 MB. The file is stored outside the database under a name the server makes (a random
token), in a folder per kind, so a client can neither choose nor guess a path; the database
keeps the token, the detected type, the size and a SHA-256 of the bytes.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType

from housing.web.problems import FieldError, Problem, invalid

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

# (first bytes, media type, extension)
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
)


@dataclass(frozen=True)
class StoredFile:
    token: str  # the stored file's name, e.g. `3f9c…e1.pdf`
    media_type: str
    size: int
    sha256: str


def sniff(data: bytes) -> tuple[str, str] | None:
    """(media type, extension) of a PDF, JPEG or PNG by its magic bytes; None for anything else."""
    for magic, media_type, extension in SIGNATURES:
        if data.startswith(magic):
            return media_type, extension
    return None


async def read_upload(request: Request[Any, Any, Any], field: str) -> bytes:
    """The bytes of the file sent in the multipart form field `field` (API and pages alike):
    anything but multipart is 415, a missing field 422, both naming the field."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != RequestEncodingType.MULTI_PART.value:
        raise Problem(415, "multipart_only", errors=[FieldError(field, "multipart_only")], field=field)
    form = await request.form()
    value = form.get(field)
    if value is None:
        raise Problem(422, "invalid_input", errors=[FieldError(field, "upload_missing")])
    if isinstance(value, UploadFile):
        try:
            return await value.read()
        finally:
            await value.close()
    return str(value).encode()  # a text field: judged by its bytes like any file (and refused)


def check(data: bytes, field: str = "file") -> tuple[str, str]:
    """The file's type, or a 4xx naming `field`: empty, larger than 10 MB, or not a PDF/JPEG/PNG."""
    if not data:
        raise invalid(field, "upload_empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise Problem(413, "upload_too_large", errors=[FieldError(field, "upload_too_large")])
    kind = sniff(data)
    if kind is None:
        raise Problem(415, "upload_type", errors=[FieldError(field, "upload_type")])
    return kind


def store(root: Path, folder: str, data: bytes, field: str = "file") -> StoredFile:
    """Check `data` and write it to `root/folder/<random>.<ext>` (written whole, then renamed)."""
    media_type, extension = check(data, field)
    directory = root / folder
    directory.mkdir(parents=True, exist_ok=True)
    token = f"{secrets.token_hex(16)}.{extension}"
    partial = directory / f".{token}.part"
    partial.write_bytes(data)
    os.replace(partial, directory / token)
    return StoredFile(token=token, media_type=media_type, size=len(data), sha256=hashlib.sha256(data).hexdigest())


def path_of(root: Path, folder: str, token: str) -> Path:
    """Where a stored token lives; refuses anything that is not a name this module made."""
    name = Path(token).name
    if name != token or name.startswith(".") or sniff_extension(name) is None:
        raise Problem(404, "not_found")
    return root / folder / name


def sniff_extension(name: str) -> str | None:
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    return next((media for _, media, ext in SIGNATURES if ext == extension), None)


def remove(root: Path, folder: str, token: str) -> None:
    """Delete a stored file (e.g. when the row that named it was never committed)."""
    try:
        path_of(root, folder, token).unlink(missing_ok=True)
    except Problem:
        pass
