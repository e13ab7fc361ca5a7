"""The one upload check: type by content, size limit, a name the server makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from housing.web import uploads
from housing.web.problems import Problem

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def test_a_pdf_is_stored_under_a_random_name_with_its_hash(tmp_path: Path) -> None:
    stored = uploads.store(tmp_path, "contracts", PDF)
    assert stored.media_type == "application/pdf" and stored.size == len(PDF)
    assert stored.token.endswith(".pdf") and len(stored.token) == 36
    assert uploads.path_of(tmp_path, "contracts", stored.token).read_bytes() == PDF
    assert not list((tmp_path / "contracts").glob(".*.part"))


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (b"", 422),
        (b"MZ\x90\x00 an exe renamed contract.pdf", 415),
        (b"<html>%PDF-</html>", 415),
        (b"%PDF-" + b"0" * uploads.MAX_UPLOAD_BYTES, 413),
    ],
)
def test_empty_disguised_and_oversized_files_are_refused_naming_the_field(
    tmp_path: Path, data: bytes, status: int
) -> None:
    with pytest.raises(Problem) as refused:
        uploads.store(tmp_path, "contracts", data, field="contract")
    assert refused.value.status_code == status and refused.value.errors[0].field == "contract"
    assert not (tmp_path / "contracts").exists() or not list((tmp_path / "contracts").iterdir())


def test_a_png_is_known_by_its_bytes() -> None:
    assert uploads.sniff(PNG) == ("image/png", "png")


@pytest.mark.parametrize("token", ["../secret_key", "a/b.pdf", ".hidden.pdf", "x.exe"])
def test_paths_a_client_might_invent_are_not_found(tmp_path: Path, token: str) -> None:
    with pytest.raises(Problem) as refused:
        uploads.path_of(tmp_path, "contracts", token)
    assert refused.value.status_code == 404
