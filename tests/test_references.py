"""Reference tensors: refused, naming the command that remakes them, when missing or stale."""
import json
import shutil

import pytest

from autograder import references
from autograder.config import REFERENCES_DIR, REFERENCES_TARGET


@pytest.fixture
def copy(tmp_path):
    shutil.copytree(REFERENCES_DIR, tmp_path / "references")
    return tmp_path / "references"


def test_current_references_load(copy):
    assert references.load.__wrapped__(copy)["payload"]["cases"]


@pytest.mark.parametrize("field, value, says", [
    ("fingerprint", "0" * 64, "the solution notebook or the case generator changed"),
    ("torch", "1.0", "made with torch 1.0"),
    ("format", 1, "older format"),
])
def test_stale_references_are_refused(copy, field, value, says):
    manifest = json.loads((copy / "manifest.json").read_text())
    (copy / "manifest.json").write_text(json.dumps(dict(manifest, **{field: value})))
    with pytest.raises(references.ReferencesUnavailable, match=says) as raised:
        references.load.__wrapped__(copy)
    assert REFERENCES_TARGET in str(raised.value)


def test_missing_references_name_the_make_target(tmp_path):
    with pytest.raises(references.ReferencesUnavailable, match=REFERENCES_TARGET):
        references.load.__wrapped__(tmp_path)
