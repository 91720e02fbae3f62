"""A run folder whose file system turns read-only part-way: the run ends in E920 naming the file,
the folder still holds one consistent checkpoint, and `--resume` (once it can write again)
finishes the run as if nothing had happened."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from safetensors.torch import load_file

import resdsl
from resdsl.core.files import OutputError
from resdsl.train import checkpoint

from .cli import cli
from .train_support import same_weights, tiny_file

FAST = dict(iterations=6, batch_size=32, eval_every=2, checkpoint_every=2)


def _read_only(monkeypatch, folder: Path, after_first_checkpoint: bool) -> None:
    """What the OS answers under `folder` once it is remounted read-only: EROFS for every file
    or folder created, opened for writing or renamed there."""
    state = {"read_only": not after_first_checkpoint}
    real_open, real_replace, real_mkdir = os.open, os.replace, os.mkdir
    real_save = checkpoint.save

    def inside(path) -> bool:
        return Path(path).resolve().is_relative_to(folder.resolve())

    def refuse(path):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))

    def guarded_open(path, flags, *args, **kwargs):
        if state["read_only"] and inside(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            refuse(path)
        return real_open(path, flags, *args, **kwargs)

    def guarded_replace(src, dst, *args, **kwargs):
        if state["read_only"] and inside(dst):
            refuse(dst)
        return real_replace(src, dst, *args, **kwargs)

    def guarded_mkdir(path, *args, **kwargs):
        if state["read_only"] and inside(path):
            refuse(path)
        return real_mkdir(path, *args, **kwargs)

    def save_then_freeze(*args, **kwargs):
        target = real_save(*args, **kwargs)
        state["read_only"] = True
        return target

    monkeypatch.setattr(os, "open", guarded_open)
    monkeypatch.setattr(os, "replace", guarded_replace)
    monkeypatch.setattr(os, "mkdir", guarded_mkdir)
    monkeypatch.setattr(checkpoint, "save", save_then_freeze)


def test_a_folder_gone_read_only_ends_in_e920_and_resumes(tmp_path, monkeypatch, one_thread):
    net = tiny_file(tmp_path)
    out = tmp_path / "run"
    with monkeypatch.context() as patch:
        _read_only(patch, out, after_first_checkpoint=True)
        with pytest.raises(OutputError) as caught:
            resdsl.train(f"{net}:tiny", "digits", out=out, **FAST)
    assert caught.value.code == "E920" and "read-only file system" in str(caught.value)
    assert str(out) in str(caught.value)

    # what is left is the first checkpoint, whole, and no temporary beside any file
    assert not [p for p in out.rglob("*.tmp")], sorted(p.name for p in out.rglob("*"))
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["ckpt-00000002.safetensors"]

    resumed = resdsl.train(f"{net}:tiny", "digits", out=out, resume=True, **FAST)
    whole = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "whole", **FAST)
    assert resumed["iterations"] == whole["iterations"] == 6
    assert same_weights(load_file(out / "weights.safetensors"), load_file(tmp_path / "whole" / "weights.safetensors"))


def test_a_read_only_output_is_a_diagnostic_before_any_work(tmp_path, monkeypatch):
    net = tiny_file(tmp_path)
    _read_only(monkeypatch, tmp_path / "ro", after_first_checkpoint=False)
    result = cli("train", f"{net}:tiny", "-o", tmp_path / "ro" / "run", "--iterations", "2")
    assert result.returncode == 1, result.output
    assert "error[E920]" in result.stderr and "read-only file system" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "ro").exists()
