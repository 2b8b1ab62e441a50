"""The feedback pictures: the reference's tiles are drawn once per set of references and kept."""
import json

import pytest

from autograder import feedback_figures


def test_the_reference_tiles_are_drawn_once_and_kept_beside_the_references(tmp_path, monkeypatch):
    stored = tmp_path / "feedback_tiles.json"
    monkeypatch.setattr(feedback_figures, "REFERENCE_TILES", stored)
    feedback_figures._reference_tiles.cache_clear()
    drawn = feedback_figures._reference_tiles()
    assert stored.exists() and drawn["saliency"] and drawn["class"].png

    feedback_figures._reference_tiles.cache_clear()  # another process: reads them back, draws nothing
    monkeypatch.setattr(feedback_figures, "_saliency_tiles", lambda student: 1 / 0)
    assert feedback_figures._reference_tiles() == drawn

    data = json.loads(stored.read_text())  # tiles of other references (or another version of the code) are redrawn
    stored.write_text(json.dumps(dict(data, key="stale")))
    feedback_figures._reference_tiles.cache_clear()
    with pytest.raises(ZeroDivisionError):  # it drew again, with the failing stand-in
        feedback_figures._reference_tiles()
    feedback_figures._reference_tiles.cache_clear()
