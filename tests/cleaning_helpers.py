"""The cleaner's tests' data sets and faults: a read-only folder, a rename that fails, on any user.

root ignores permission bits (tests may run as root in a container), so ``read_only`` also makes
``os.rename``, ``os.unlink`` and ``os.access`` answer for that folder as the kernel answers anyone
else: the code under test meets the same failures either way.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

__all__ = ["FailingRename", "make_folders", "read_only", "snapshot", "writable_again"]


def make_folders(root: Path, n_per_class: int = 2) -> Path:
    """``root/{train,valid}/{black,grizzly,teddy}/<class>_<i>.jpg``, each file's bytes its own path."""
    for split in ("train", "valid"):
        for cls in ("black", "grizzly", "teddy"):
            for i in range(n_per_class):
                p = root / split / cls / f"{cls}_{i}.jpg"
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_bytes(f"{split}/{cls}/{i}".encode())
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden ones too), by relative path -> bytes."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


class FailingRename:
    """``os.rename`` (and ``os.unlink``) failing with EACCES for paths in ``folders``, or for the
    ``nth`` rename (1-based) whatever its path; every other call goes through."""

    def __init__(self, folders: tuple[Path, ...] = (), nth: int | None = None):
        self.folders, self.nth, self.calls = {Path(f) for f in folders}, nth, 0
        self.rename, self.unlink, self.access = os.rename, os.unlink, os.access

    def _blocked(self, *paths: object) -> bool:
        return any(Path(os.fsdecode(p)).parent in self.folders for p in paths)

    def fake_rename(self, src, dst, *args, **kwargs):
        self.calls += 1
        if self.calls == self.nth or self._blocked(src, dst):
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(src))
        return self.rename(src, dst, *args, **kwargs)

    def fake_unlink(self, path, *args, **kwargs):
        if self._blocked(path):
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        return self.unlink(path, *args, **kwargs)

    def fake_access(self, path, mode, *args, **kwargs):
        if Path(os.fsdecode(path)) in self.folders and mode & os.W_OK:
            return False
        return self.access(path, mode, *args, **kwargs)

    def install(self, monkeypatch, access: bool = True) -> FailingRename:
        monkeypatch.setattr(os, "rename", self.fake_rename)
        monkeypatch.setattr(os, "unlink", self.fake_unlink)
        if access:
            monkeypatch.setattr(os, "access", self.fake_access)
        return self


def read_only(folder: Path, monkeypatch) -> None:
    """Make ``folder`` read-only; ``writable_again`` puts its mode back (call it at teardown)."""
    folder.chmod(0o555)
    if os.geteuid() == 0:
        FailingRename((folder,)).install(monkeypatch)


def writable_again(root: Path) -> None:
    """Every folder under ``root`` writable again, so that pytest can remove it."""
    for folder in [root, *(p for p in root.rglob("*") if p.is_dir() and not p.is_symlink())]:
        folder.chmod(0o755)
