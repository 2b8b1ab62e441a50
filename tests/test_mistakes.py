"""Every mistake a check names is registered with a title, and every registered mistake is named.

Found statically: every string constant inside a ``mistake=`` argument (an f-string such as
``f"fault-{kind}"`` gives a prefix, which the ``CallFault`` kinds complete), and the ids of the
checks' own ``MISTAKES`` tables (ascent's keys, attribution's first elements).
"""
import ast
from pathlib import Path

from netvis.checks import mistakes

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "assignment" / "netvis" / "checks").glob("*.py")) + \
    [ROOT / "autograder" / "sandbox.py", ROOT / "autograder" / "grading.py"]
FAULT_KINDS = ("timeout", "exit", "output", "garbage")
"""The kinds of ``CallFault`` that autograder/sandbox.py raises."""


def _named():
    """(ids, prefixes) found in the sources."""
    ids, prefixes = set(), set()
    for path in SOURCES:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == "mistake":
                for part in ast.walk(node.value):
                    if isinstance(part, ast.JoinedStr):
                        prefixes.add(part.values[0].value)
                    elif isinstance(part, ast.Constant) and isinstance(part.value, str) and part.value:
                        ids.add(part.value)
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "MISTAKES" for t in node.targets) \
                    and path.parent.name == "checks" and path.name != "mistakes.py":
                table = node.value
                if all(isinstance(k, ast.Constant) for k in table.keys):  # ascent: id -> words
                    ids.update(k.value for k in table.keys)
                else:  # attribution: function -> [(id, words, switches)]
                    ids.update(entry.elts[0].value for entries in table.values for entry in entries.elts)
    return ids, prefixes


def test_every_named_mistake_is_registered_and_every_registered_one_is_named():
    ids, prefixes = _named()
    ids -= {p for p in prefixes}  # a prefix's literal part is not an id
    assert prefixes == {"fault-"}
    ids |= {f"fault-{kind}" for kind in FAULT_KINDS}
    assert ids - set(mistakes.TITLES) == set(), "named but not registered"
    assert set(mistakes.TITLES) - ids - {"cam-wrong-layer"} == set(), "registered but never named"
    assert "cam-wrong-layer" in (ROOT / "assignment/netvis/checks/attribution.py").read_text()


def test_ids_are_words_and_titles_short():
    for mistake, title in mistakes.TITLES.items():
        assert mistake == mistake.lower() and " " not in mistake and title and len(title) <= 60, mistake
    assert mistakes.title("") == "Not named" and mistakes.title("from-elsewhere") == "from-elsewhere"


def test_the_tables_do_not_overlap():
    tables = [mistakes.GENERAL, mistakes.SALIENCY, mistakes.FOOLING, mistakes.ASCENT, mistakes.ACTIVATIONS,
              mistakes.ATTRIBUTION]
    assert sum(map(len, tables)) == len(mistakes.TITLES)


def test_every_check_failed_names_its_mistake():
    unnamed = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "CheckFailed" \
                    and not any(k.arg == "mistake" for k in node.keywords):
                unnamed.append(f"{path.name}:{node.lineno}")
    assert unnamed == []
