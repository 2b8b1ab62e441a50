"""The time breakdown that ``check --timings`` and ``make bench`` print."""
from autograder.timings import breakdown, by_part, format_breakdown

TIMINGS = {
    "startup": 2.0, "self-test": 0.01, "self-test remembered": True, "setup": 0.4,
    "cells": {"4": 0.5, "6": 0.7, "9": 0.1, "12": 0.2},
    "checks": {"compute_saliency_maps-shape": 1.0, "compute_saliency_maps-values": 0.5,
               "make_fooling_image-fools": 3.0, "grad_cam-values": 0.25},
    "figures": 1.5,
}


def test_checks_are_summed_per_part_in_the_parts_order_with_extra_credit_named():
    assert by_part(TIMINGS["checks"]) == {"Part 1, saliency": 1.5, "Part 2, fooling": 3.0,
                                          "Part 5, explanations (extra credit)": 0.25}


def test_the_breakdown_goes_in_grading_order_and_names_the_slowest_cells():
    labels = [label for label, _ in breakdown(TIMINGS)]
    assert labels[0] == "Python start-up and imports"
    assert labels[1] == "self-test (remembered from an earlier run; beside the grading)"
    assert labels[3] == "notebook: 4 cells (slowest: cell 6 0.70 s, cell 4 0.50 s, cell 12 0.20 s)"
    assert labels[-1] == "feedback pictures"
    assert dict(breakdown(TIMINGS))[labels[3]] == 1.5


def test_pieces_not_measured_are_left_out_and_the_wall_time_comes_last():
    text = format_breakdown({"checks": {"make_fooling_image-fools": 3.0}}, wall=4.25)
    lines = text.splitlines()
    assert len(lines) == 2
    assert lines[0].split() == ["checks:", "Part", "2,", "fooling", "3.00", "s"]
    assert lines[1].split()[-2:] == ["4.25", "s"] and "wall time" in lines[1]
