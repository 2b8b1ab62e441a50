"""The reference implementation runs silently: its prints never reach the instructor's terminal."""
from autograder.solution import solution_namespace
from netvis.checks.common import real_image, real_model


def test_the_solution_says_nothing(capsys):
    solution = solution_namespace()
    solution["make_fooling_image"](real_image(0), 6, real_model())
    printed = capsys.readouterr()
    assert printed.out == "" and printed.err == ""
