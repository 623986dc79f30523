from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from workbench.io.atomic import TEMP_PREFIX, StagedWrites, atomic_write, write_bytes, write_text
from workbench.io.errors import ExportError


def test_write_bytes_creates_file_with_content_and_no_leftovers(tmp_path: Path, listing) -> None:
    data = bytes(range(256)) * 1000
    out = write_bytes(tmp_path / "a.bin", data)
    assert out == tmp_path / "a.bin"
    assert listing(tmp_path) == {"a.bin": data}


def test_existing_file_is_not_overwritten_without_permission(tmp_path: Path, listing) -> None:
    write_text(tmp_path / "a.txt", "old")
    with pytest.raises(FileExistsError) as info:
        write_text(tmp_path / "a.txt", "new")
    assert info.value.errno == errno.EEXIST
    assert info.value.filename == str(tmp_path / "a.txt")
    assert "overwrit" in str(info.value)
    assert listing(tmp_path) == {"a.txt": b"old"}


def test_overwrite_true_replaces(tmp_path: Path, listing) -> None:
    write_text(tmp_path / "a.txt", "old")
    write_text(tmp_path / "a.txt", "new", overwrite=True)
    assert listing(tmp_path) == {"a.txt": b"new"}


def test_atomic_write_yields_temp_path_in_target_folder_with_suffix(tmp_path: Path,
                                                                   listing) -> None:
    with atomic_write(tmp_path / "map.png") as tmp:
        assert tmp.parent == tmp_path
        assert tmp.name.startswith(TEMP_PREFIX) and tmp.suffix == ".png"
        assert not (tmp_path / "map.png").exists()
        tmp.write_bytes(b"png")
    assert listing(tmp_path) == {"map.png": b"png"}


def test_exception_in_body_removes_temp_and_keeps_old_content(tmp_path: Path, listing) -> None:
    write_text(tmp_path / "a.txt", "old")
    before = listing(tmp_path)
    with pytest.raises(RuntimeError, match="encoder crashed"):
        with atomic_write(tmp_path / "a.txt", overwrite=True) as tmp:
            tmp.write_bytes(b"half a fi")
            raise RuntimeError("encoder crashed")
    assert listing(tmp_path) == before


def test_disk_full_gives_export_error_and_changes_nothing(tmp_path: Path, listing,
                                                          disk_full) -> None:
    write_text(tmp_path / "a.txt", "old content")
    before = listing(tmp_path)
    disk_full(10)
    with pytest.raises(ExportError) as info:
        write_bytes(tmp_path / "a.txt", b"x" * 1000, overwrite=True)
    assert info.value.errno == errno.ENOSPC
    assert isinstance(info.value, OSError)
    assert "disk is full" in str(info.value) and "a.txt" in str(info.value)
    assert info.value.filename == str(tmp_path / "a.txt")
    assert listing(tmp_path) == before


def test_disk_full_for_a_new_file_leaves_nothing(tmp_path: Path, listing, disk_full) -> None:
    disk_full(0)
    with pytest.raises(ExportError, match="no space left"):
        write_bytes(tmp_path / "new.bin", b"x" * 10)
    assert listing(tmp_path) == {}


def test_missing_folder_is_a_clear_export_error(tmp_path: Path, listing) -> None:
    with pytest.raises(ExportError, match="does not exist") as info:
        write_text(tmp_path / "nope" / "a.txt", "x")
    assert info.value.errno == errno.ENOENT
    assert listing(tmp_path) == {}


def test_target_that_is_a_folder_is_refused(tmp_path: Path, listing) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(ExportError, match="is a folder"):
        write_text(tmp_path / "d", "x", overwrite=True)


def test_permission_denied_is_a_clear_export_error(tmp_path: Path, listing,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = os.open

    def refuse(path, flags, *args):
        if Path(path).parent == tmp_path and flags & os.O_CREAT:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(ExportError, match="permission denied in folder") as info:
        write_text(tmp_path / "a.txt", "x")
    assert info.value.errno == errno.EACCES
    assert listing(tmp_path) == {}


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root can write into read-only folders")
def test_read_only_folder_for_real(tmp_path: Path, listing) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ExportError, match="permission denied"):
            write_text(folder / "a.txt", "x")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_file_appearing_before_commit_is_not_clobbered(tmp_path: Path, listing) -> None:
    with pytest.raises(FileExistsError):
        with atomic_write(tmp_path / "a.txt") as tmp:
            tmp.write_bytes(b"mine")
            (tmp_path / "a.txt").write_bytes(b"someone else's")
    assert listing(tmp_path) == {"a.txt": b"someone else's"}


def test_staged_writes_are_all_or_nothing(tmp_path: Path, listing, disk_full) -> None:
    (tmp_path / "keep.txt").write_text("keep")
    before = listing(tmp_path)
    disk_full(150)
    with pytest.raises(ExportError) as info:
        with StagedWrites() as stage:
            stage.add(tmp_path / "a.bin", b"a" * 100)
            stage.add(tmp_path / "b.bin", b"b" * 100)  # the disk fills up here
            stage.add(tmp_path / "c.bin", b"c" * 100)
    assert info.value.errno == errno.ENOSPC
    assert "b.bin" in str(info.value)
    assert listing(tmp_path) == before


def test_staged_writes_commit_and_refuse_duplicates(tmp_path: Path, listing) -> None:
    with StagedWrites() as stage:
        stage.add(tmp_path / "a.bin", b"1")
        with pytest.raises(ValueError, match="written twice"):
            stage.add(tmp_path / "A.BIN", b"2")
        stage.add(tmp_path / "b.bin", b"3")
        assert stage.pending == [tmp_path / "a.bin", tmp_path / "b.bin"]
        assert not (tmp_path / "a.bin").exists()
    assert stage.committed == [tmp_path / "a.bin", tmp_path / "b.bin"]
    assert listing(tmp_path) == {"a.bin": b"1", "b.bin": b"3"}


def test_staged_writes_refuse_existing_before_writing(tmp_path: Path, listing) -> None:
    (tmp_path / "b.bin").write_bytes(b"old")
    with pytest.raises(FileExistsError):
        with StagedWrites() as stage:
            stage.add(tmp_path / "a.bin", b"new a")
            stage.add(tmp_path / "b.bin", b"new b")
    assert listing(tmp_path) == {"b.bin": b"old"}
