"""get_datasets.sh against a throwaway mirror: verified, idempotent, never half-written."""
import hashlib
import os
import subprocess
from pathlib import Path


SCRIPT = Path(__file__).resolve().parents[1] / "get_datasets.sh"


def _mirror(folder: Path, files: dict, sums: dict = None) -> Path:
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    sums = sums or {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    (folder / "SHA256SUMS").write_text("".join(f"{s}  {n}\n" for n, s in sums.items()))
    return folder


def _run(mirror, dest):
    env = dict(os.environ, NETVIS_DATA_MIRROR=str(mirror), NETVIS_DATA_DIR=str(dest))
    return subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True)


def test_fetches_verifies_and_then_skips(tmp_path):
    mirror = _mirror(tmp_path / "mirror", {"a.npz": b"images", "w-12345678.pth": b"weights"})
    dest = tmp_path / "data"
    first = _run(mirror, dest)
    assert first.returncode == 0, first.stderr
    assert (dest / "a.npz").read_bytes() == b"images"
    stamp = (dest / "a.npz").stat().st_mtime_ns
    second = _run(f"file://{mirror}/", dest)
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("already verified") == 2
    assert (dest / "a.npz").stat().st_mtime_ns == stamp


def test_checksum_mismatch_keeps_nothing_and_says_what_to_do(tmp_path):
    mirror = _mirror(tmp_path / "mirror", {"a.npz": b"images"}, sums={"a.npz": "0" * 64})
    dest = tmp_path / "data"
    result = _run(mirror, dest)
    assert result.returncode != 0
    assert "checksum mismatch for a.npz" in result.stderr
    assert "0" * 64 in result.stderr and hashlib.sha256(b"images").hexdigest() in result.stderr
    assert "again" in result.stderr
    assert list(dest.iterdir()) == []


def test_corrupt_existing_file_is_replaced(tmp_path):
    mirror = _mirror(tmp_path / "mirror", {"a.npz": b"images"})
    dest = tmp_path / "data"
    dest.mkdir()
    (dest / "a.npz").write_bytes(b"imag")  # an older, truncated copy
    assert _run(mirror, dest).returncode == 0
    assert (dest / "a.npz").read_bytes() == b"images"


def test_failed_fetch_leaves_no_file(tmp_path):
    mirror = _mirror(tmp_path / "mirror", {"a.npz": b"images"})
    (mirror / "a.npz").unlink()  # listed but missing: the copy fails midway
    dest = tmp_path / "data"
    result = _run(mirror, dest)
    assert result.returncode != 0 and "could not fetch a.npz" in result.stderr
    assert list(dest.iterdir()) == []


def test_mirror_without_checksums_is_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    result = _run(tmp_path / "empty", tmp_path / "data")
    assert result.returncode != 0 and "SHA256SUMS" in result.stderr
