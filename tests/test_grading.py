"""autograder.grading: the lanes a submission's checks run in, side by side."""
import pytest
import torch

from autograder import config
from autograder.dev.variants import CORPUS_DIR, read_variant, write_notebook
from autograder.grading import grade_notebook, lanes
from netvis.checks import CHECKS, OWN_LANE


def test_each_function_has_one_lane_and_slow_independent_checks_their_own():
    grouped = lanes(CHECKS)
    assert sorted(c.id for lane in grouped for c in lane) == sorted(c.id for c in CHECKS)  # each check once
    firsts = [CHECKS.index(lane[0]) for lane in grouped]
    assert firsts == sorted(firsts)  # lanes in the order the notebook reaches them
    for lane in grouped:
        assert len({c.lane for c in lane}) == 1
        assert [CHECKS.index(c) for c in lane] == sorted(CHECKS.index(c) for c in lane)  # the notebook's order
    own = [lane for lane in grouped if lane[0].id in OWN_LANE]
    assert [[c.id for c in lane] for lane in own] == [[i] for i in sorted(OWN_LANE)]
    # every other lane is one student function's checks, all of them but those with a lane of their own
    functions = {lane[0].function for lane in grouped if lane[0].id not in OWN_LANE}
    assert len(functions) == len(grouped) - len(own)
    for lane in grouped:
        if lane[0].id not in OWN_LANE:
            assert {c.id for c in lane} == {c.id for c in CHECKS if c.function == lane[0].function} - OWN_LANE


@pytest.mark.slow
def test_checks_side_by_side_give_the_verdicts_of_one_at_a_time(tmp_path, monkeypatch):
    """A submission whose capture floods the output (the whole run ends, while other lanes' checks
    are in flight): the same verdicts, word for word, with 2 lanes as with 1."""
    variant = read_variant(CORPUS_DIR / "faults" / "capture_floods.py")
    notebook = write_notebook(variant, tmp_path)
    verdicts = {}
    for threads in (1, 2):
        monkeypatch.setattr(config, "CHECK_LANES", threads)
        torch.set_num_threads(2)
        result = grade_notebook(notebook, variant.name, cell_timeout=8)  # the default time limits: two
        # lanes share the cores, and a flood in one slows the other lane's real-model checks
        assert torch.get_num_threads() == config.GRADER_TORCH_THREADS == 1  # the cores are the sandboxes'
        verdicts[threads] = [(c.id, c.points, c.message) for c in result.checks]
    assert verdicts[2] == verdicts[1]
    assert {i for i, points, _ in verdicts[2] if not points} == variant.expected_failures
