"""The course policy: its schema checked on load, with errors that name the file and the key,
and the lateness it reckons (grace period, penalty per day or hour, cap, extensions)."""
from datetime import datetime, timedelta, timezone

import pytest

from autograder.policy import PolicyError, load

POLICY = """
[assignment]
name = "Network Visualization"
canvas_id = 12345
due = 2026-03-01T23:59:00
timezone = "America/New_York"

[late]
grace_minutes = 15
penalty_percent = 10
per = "day"
cap_percent = 30

[extensions]
file = "extensions.csv"

[extra_credit]
mode = "add"
cap = 5

[gradescope]
hidden_visibility = "after_published"
"""


def _write(tmp_path, text=POLICY, extensions="student,extended_due,extra_hours\ncanvas-1,,48\nbob,2026-03-05T12:00:00Z,\n"):
    (tmp_path / "extensions.csv").write_text(extensions)
    path = tmp_path / "policy.toml"
    path.write_text(text)
    return path


def test_the_policy_reckons_lateness_with_grace_cap_and_extensions(tmp_path):
    policy = load(_write(tmp_path))
    assert policy.due == datetime(2026, 3, 2, 4, 59, tzinfo=timezone.utc)
    assert policy.canvas_column == "Network Visualization (12345)"
    assert policy.extensions["canvas-1"] == policy.due + timedelta(hours=48)
    assert policy.extensions["bob"] == datetime(2026, 3, 5, 12, tzinfo=timezone.utc)
    assert policy.extra_credit == "add" and policy.extra_credit_cap == 5 and policy.hidden_visibility == "after_published"
    assert policy.lateness("ada", policy.due + timedelta(minutes=10)) == (0.0, 0.0)  # within the grace period
    days, percent = policy.lateness("ada", policy.due + timedelta(hours=30))
    assert round(days, 2) == 1.25 and percent == 20  # two started days
    assert policy.lateness("ada", policy.due + timedelta(days=9))[1] == 30  # the cap
    assert policy.lateness("canvas-1", policy.due + timedelta(hours=30)) == (0.0, 0.0)  # extended
    assert policy.lateness("ada", None) == (0.0, 0.0)


@pytest.mark.parametrize("change, message", [
    (('timezone = "America/New_York"\n', ""), r"\[assignment\] due: 2026-03-01T23:59:00 has no time zone; write"),
    (('per = "day"', 'per = "week"'), r"\[late\] per: 'week'; write per = \"day\" or per = \"hour\""),
    (('mode = "add"', 'mode = "double"'), r"\[extra_credit\] mode"),
    (('hidden_visibility = "after_published"', 'hidden_visibility = "later"'), r"\[gradescope\] hidden_visibility"),
    (("cap_percent = 30", "cap_percent = -1"), r"\[late\] cap_percent: -1 is not a number"),
    (("[late]", "[lateness]"), r"unknown section \[lateness\]"),
    (("grace_minutes", "grace"), r"\[late\] unknown key\(s\) grace"),
])
def test_a_bad_policy_is_refused_naming_the_file_and_the_key(tmp_path, change, message):
    path = _write(tmp_path, POLICY.replace(*change))
    with pytest.raises(PolicyError, match=message) as err:
        load(path)
    assert str(path) in str(err.value)


def test_an_extension_without_a_date_or_hours_is_refused(tmp_path):
    with pytest.raises(PolicyError, match="extensions.csv line 2: ada has neither"):
        load(_write(tmp_path, extensions="student,extended_due\nada,\n"))


def test_an_empty_policy_has_the_kits_defaults(tmp_path):
    policy = load(_write(tmp_path, ""))
    assert policy.due is None and policy.extra_credit == "separate" and policy.hidden_visibility == "after_due_date"
    assert sum(policy.questions.values()) == 10 and policy.extra_questions == ("inline_question_4", "inline_question_5")
