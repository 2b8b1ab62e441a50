"""The bench's rows (autograder/dev/bench.py): each says which way its goal points, and whether it is met."""
from autograder.dev.bench import _row, format_table


def test_a_time_against_a_speed_up_goal_is_met_only_at_or_above_it():
    assert _row("cold", 6.0, "s", "nbgrader", 20.0, goal=3.0)["met"] is True  # 3.33x
    assert _row("cold", 8.0, "s", "nbgrader", 20.0, goal=3.0)["met"] is False  # 2.5x


def test_an_overhead_goal_is_a_most_and_a_rate_goal_a_least():
    overhead = _row("loop", 35.5, "ms", "bare", 33.8, speedup=False, goal=1.10)
    assert (overhead["goal_is"], overhead["met"]) == ("at most", True)
    assert _row("loop", 38.0, "ms", "bare", 33.8, speedup=False, goal=1.10)["met"] is False
    rate = _row("batch", 4.2, "/min", "one at a time", 4.3, rate=True, goal=1.0)
    assert (rate["goal_is"], rate["met"]) == ("at least", False)


def test_the_table_prints_each_goal_with_its_direction_and_verdict():
    table = format_table([_row("loop", 35.5, "ms", "bare", 33.8, speedup=False, goal=1.10),
                          _row("cold", 8.0, "s", "nbgrader", 20.0, goal=3.0),
                          _row("batch", 4.2, "/min", "one at a time", 4.3, rate=True, goal=1.0)]).splitlines()
    assert "<=1.1x met" in table[1] and ">=3x MISSED" in table[2] and ">=1x MISSED" in table[3]
    assert "4.2 /min one at a time" in " ".join(table[3].split())
