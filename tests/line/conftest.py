"""Fixtures shared by the run line's tests."""

import pytest


@pytest.fixture
def photos(tmp_path, assets):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("cat", "coffee"):
        (folder / f"{name}.jpg").write_bytes((assets / f"content/{name}.jpg").read_bytes())
    return folder
