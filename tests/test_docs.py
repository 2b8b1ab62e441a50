"""Docs that cannot rot: every command, flag, link and path in README.md and docs/*.md is real.

One test reads README.md and every docs/*.md and reports all its problems at once, each as
``file:line: what``. What it checks, and the rule for each:

- **make targets.** Wherever a command starts with ``make`` (a line of a fenced block, or an inline
  code span, split at ``&&``, ``||``, ``;`` and ``|``, ``# comments`` and leading ``VAR=value``
  removed), every word after it that is not ``VAR=value`` or an option must be a target that
  ``make help`` lists.
- **The kit's commands.** Wherever ``python -m autograder SUB`` or ``python -m netvis [SUB]``
  appears in a command (any ``python``, ``python3`` or ``.venv/bin/python``), ``SUB`` must be a
  subcommand (its ``--help`` exits 0) and every ``--flag`` written after it in the same command must
  appear in that ``--help`` output. The help is run with this interpreter in a subprocess; neither
  command imports torch for ``--help``, so each call takes a few tens of milliseconds.
- **Links.** Every relative markdown link or image ``[text](target)`` outside code must name a file
  or folder that exists, relative to the page (``#anchors`` are dropped; ``http:``, ``https:`` and
  ``mailto:`` links are not fetched).
- **Backticked paths.** An inline code span that is a single word is a path when it contains a
  ``/`` or ends with a known extension (``PATH_SUFFIXES``). A path with a ``/`` must exist from the
  repository root (``*`` globs must match something). A bare file name (no ``/``) must be the name
  of a file somewhere in the repository, or be spelt in the kit's own code (``CODE_DIRS``), which
  is how the files the kit writes (``results.json``, ``grades.csv``...) are named. A path may also
  be written from one of the other ``ROOTS``: ``netvis/checks/`` is ``assignment/netvis/checks/``
  (the student's folder, where ``pyproject.toml`` maps the package from), ``templates/...`` is in
  ``autograder/``; and a module may be named without its ``.py`` (``netvis/__init__``). Not checked:
  absolute paths (``/autograder/...``: another machine's), paths leaving the repository (``../``),
  paths that git ignores (``build/``, ``datasets/``, ``.venv/``, the nbgrader course's state: made by
  the targets, never committed), and paths with a placeholder: an all-capitals word such as
  ``OUT_DIR`` or ``SUBMISSIONS``, or ``<student>``.
"""
import functools
import re
import shutil
import subprocess
import sys
from pathlib import Path

from autograder.config import KIT_ROOT

PAGES = [KIT_ROOT / "README.md", *sorted((KIT_ROOT / "docs").glob("*.md"))]
PATH_SUFFIXES = (".py", ".md", ".ipynb", ".sh", ".txt", ".toml", ".yaml", ".yml", ".sbatch", ".j2",
                 ".json", ".csv", ".html", ".zip", ".png", ".pt", ".pth", ".npz", ".cfg", ".ini")
ROOTS = (KIT_ROOT, KIT_ROOT / "assignment", KIT_ROOT / "autograder", KIT_ROOT / "assignment" / "netvis")
"""Where a path with a ``/`` may start: the repository, the student's folder and the two packages."""
CODE_DIRS = ("autograder", "assignment/netvis", "get_datasets.sh", "Makefile", ".ci", "examples/cluster")
"""Where the kit's own code spells the names of the files it reads and writes."""
PLACEHOLDER = re.compile(r"^[A-Z][A-Z0-9_]*$|<[^>]*>")
PYTHON = re.compile(r"^(?:.*/)?python(?:3(?:\.\d+)?)?$")
FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def _lines(page: Path):
    """(line number, text, in a fenced block) for every line of ``page``."""
    fenced = False
    for number, line in enumerate(page.read_text().splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        yield number, line, fenced


def _commands(page: Path):
    """(line number, words) of every command on the page: fenced lines and inline code spans."""
    for number, line, fenced in _lines(page):
        texts = [line] if fenced else [m.group(2) for m in CODE_SPAN.finditer(line)]
        for text in texts:
            text = re.sub(r"(^|\s)#.*$", "", text)
            for part in re.split(r"&&|\|\||;|\|", text):
                words = part.split()
                while words and ASSIGNMENT.match(words[0]):
                    words = words[1:]
                if words:
                    yield number, words


@functools.lru_cache(maxsize=None)
def make_targets() -> frozenset:
    if shutil.which("make"):
        listed = subprocess.run(["make", "--no-print-directory", "help"], cwd=KIT_ROOT, capture_output=True,
                                text=True, check=True).stdout
    else:  # what the help target greps
        listed = "\n".join(re.sub(r":.*## ", "\t", line) for line in (KIT_ROOT / "Makefile").read_text().splitlines()
                           if re.match(r"^[a-z-]+:.*## ", line))
    return frozenset(line.split("\t")[0] for line in listed.splitlines() if "\t" in line)


@functools.lru_cache(maxsize=None)
def command_help(module: str, sub: str) -> tuple:
    """(exit status, --help output) of ``python -m module [sub] --help``."""
    done = subprocess.run([sys.executable, "-m", module, *([sub] if sub else []), "--help"], cwd=KIT_ROOT,
                          capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout + done.stderr


def _check_command(words: list) -> list:
    problems = []
    if words[0] == "make":
        for target in words[1:]:
            if not target.startswith("-") and "=" not in target and target not in make_targets():
                problems.append(f"`make {target}`: no such target in `make help` ({', '.join(sorted(make_targets()))})")
    for i, word in enumerate(words[:-2]):
        if not (PYTHON.match(word) and words[i + 1] == "-m" and words[i + 2] in ("autograder", "netvis")):
            continue
        module, rest = words[i + 2], words[i + 3:]
        sub = rest[0] if rest and not rest[0].startswith("-") else ""
        status, text = command_help(module, sub)
        if status != 0:
            problems.append(f"`python -m {module} {sub}`: not a command ({text.strip().splitlines()[-1]})")
            continue
        for flag in (w.split("=")[0] for w in rest if w.startswith("--")):
            if not re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text):
                problems.append(f"`python -m {module} {sub}`: no option {flag} in its --help")
    return problems


@functools.lru_cache(maxsize=None)
def _ignored(path: str) -> bool:
    done = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=KIT_ROOT, capture_output=True)
    if done.returncode in (0, 1):
        return done.returncode == 0
    return path.split("/")[0] in ("build", "datasets", ".venv")  # not a git checkout


@functools.lru_cache(maxsize=None)
def _repository_names() -> frozenset:
    return frozenset(p.name for p in KIT_ROOT.rglob("*") if not _skipped_tree(p))


def _skipped_tree(path: Path) -> bool:
    parts = path.relative_to(KIT_ROOT).parts
    return bool(parts) and parts[0] in (".git", ".venv", "build", "datasets") or "__pycache__" in parts


@functools.lru_cache(maxsize=None)
def _code_text() -> str:
    files = []
    for name in CODE_DIRS:
        root = KIT_ROOT / name
        files += [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return "\n".join(p.read_text(errors="replace") for p in files)


def _is_path(text: str) -> bool:
    return (re.fullmatch(r"[\w.*<>/-]+", text) is not None and not text.startswith("-")
            and ("/" in text or text.endswith(PATH_SUFFIXES)) and "://" not in text)


def _check_path(text: str) -> list:
    if text.startswith(("/", "~", "..")) or any(PLACEHOLDER.search(part) for part in text.split("/") if part):
        return []
    if "/" not in text:
        if text in _repository_names() or text in _code_text():
            return []
        return [f"`{text}`: no file of that name in the repository, and the kit's code never names it"]
    if _ignored(text.rstrip("/")):
        return []
    if "*" in text:
        found = any(list(root.glob(text.rstrip("/"))) for root in ROOTS)
        return [] if found else [f"`{text}`: matches nothing in the repository"]
    found = any((root / text).exists() or (root / f"{text}.py").is_file() for root in ROOTS)
    return [] if found else [f"`{text}`: no such file or folder in the repository"]


def _check_link(folder: Path, target: str) -> list:
    if re.match(r"^[a-z]+:", target) or target.startswith("#"):
        return []
    path = target.split("#")[0]
    return [] if (folder / path).exists() else [f"link ({target}): no such file or folder"]


def problems_in(page: Path, folder: Path = None) -> list:
    """Every problem on ``page``; its links are relative to ``folder`` (the page's own by default)."""
    folder = folder or page.parent
    where = page.relative_to(KIT_ROOT) if page.is_relative_to(KIT_ROOT) else page.name
    found = [(number, p) for number, words in _commands(page) for p in _check_command(words)]
    for number, line, fenced in _lines(page):
        if fenced:
            continue
        spans = [m.group(2).strip() for m in CODE_SPAN.finditer(line)]
        found += [(number, p) for span in spans if _is_path(span) for p in _check_path(span)]
        prose = CODE_SPAN.sub("", line)
        found += [(number, p) for m in LINK.finditer(prose) for p in _check_link(folder, m.group(1))]
    return [f"{where}:{number}: {p}" for number, p in sorted(found, key=lambda item: item[0])]


def test_every_command_flag_link_and_path_in_the_docs_is_real():
    problems = [p for page in PAGES for p in problems_in(page)]
    assert not problems, f"{len(problems)} problem(s) in the docs:\n" + "\n".join(problems)


def test_the_checker_finds_what_it_checks(tmp_path):
    """The checker itself: a wrong target, subcommand, flag, link and path are each caught."""
    page = tmp_path / "probe.md"
    page.write_text("```bash\nmake nonsense-target && python -m autograder grade X --out Y --no-such-flag\n```\n"
                    "`python -m autograder no-such-command` and `python -m netvis check --timeout 5`\n"
                    "[a](no_such_page.md) [b](ARCHITECTURE.md) `autograder/no_such_module.py` `autograder/hidden.py`\n"
                    "`results.json` `no_such_output.json` `build/anything.zip` `OUT_DIR/grades.csv`\n")
    found = "\n".join(problems_in(page, folder=KIT_ROOT / "docs"))
    for expected in ["make nonsense-target", "--no-such-flag", "no-such-command", "(no_such_page.md)",
                     "autograder/no_such_module.py", "no_such_output.json"]:
        assert expected in found, found
    for fine in ["--out", "--timeout", "ARCHITECTURE.md", "hidden.py", "`results.json`", "build/", "OUT_DIR"]:
        assert fine not in found, found
    assert len(found.splitlines()) == 6, found


def test_the_readme_keeps_the_two_commands():
    """What `.ci/run` runs (`make test`) and the main job are the README's first commands."""
    readme = (KIT_ROOT / "README.md").read_text()
    assert "make          # set up .venv, fetch and verify the data, run the main job\n" in readme
    assert "make test     # run the whole test suite (what CI runs)" in readme
