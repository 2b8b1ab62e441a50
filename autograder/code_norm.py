"""Student functions taken out of a notebook and normalised into tokens for the similarity report.

A function is found by name in the notebook's code cells (IPython syntax already turned into
Python by ``notebook.read_program``); where it is defined twice, the last definition counts, as
in a kernel. Its tokens are what is left once the release's starter is stripped (the signature,
the docstring, and every statement shaped as one of the stub's, names and literals aside:
``saliency = None``, ``raise NotImplementedError()``, ``return saliency`` (or ``return out``),
...), and comments, docstrings and bare ``print`` calls are dropped.

Normalisation abstracts what a copier changes for free and keeps what carries the method:

- names bound by the student (arguments, variables, helpers) become ``V``, numbers ``N``, strings ``S``;
- attribute and method names (``.backward``, ``.abs``, ``.grad``), keywords, operators, builtins
  and the modules the notebook imports (``torch``, ``F``, ``nn``, ...) are kept: renaming them
  changes what the code does, and they are what tells ``torch.autograd.grad`` from ``.backward()``.

A cell that does not parse is still handled: the function is cut out by its ``def`` line and
indentation, and its tokens come from a plain regular expression (comments dropped, starter
lines removed by text). Each token keeps its character span in the function's source, so that
matches can be marked on the code.
"""
import ast
import builtins
import copy
import io
import keyword
import re
import tokenize
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from netvis.checks import STUDENT_FUNCTIONS

from .config import RELEASE_NOTEBOOK

KEPT_NAMES = frozenset(dir(builtins)) | {"torch", "F", "nn", "np", "math", "torchvision", "netvis", "random"}
"""Global names kept as they are: builtins and the modules the notebook's setup imports."""
_FALLBACK_TOKEN = re.compile(r"#[^\n]*|(?P<tok>[A-Za-z_]\w*|\d[\w.]*|'[^'\n]*'|\"[^\"\n]*\"|\*\*|//|[^\s\w])")
_DEF = re.compile(r"^def[ \t]+(\w+)[ \t]*\(", re.MULTILINE)


@dataclass
class Token:
    text: str
    """The normalised token: ``V``, ``N``, ``S``, or the kept word or operator."""
    start: int
    end: int
    """Its character span in the function's source."""


@dataclass
class Function:
    name: str
    source: str
    """The function as the student wrote it, from its ``def`` line."""
    tokens: list = field(default_factory=list)
    parsed: bool = True
    """False when the cell did not parse and the tokens come from the fallback."""

    @property
    def normalised(self) -> str:
        return " ".join(t.text for t in self.tokens)


def _line_starts(text: str) -> list:
    starts, position = [0], 0
    for line in text.splitlines(keepends=True):
        position += len(line)
        starts.append(position)
    return starts


def _is_print(node) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name) and node.value.func.id == "print")


def _shape(statement: ast.stmt) -> str:
    """A statement with every name and literal abstracted: ``return out`` is the starter's ``return saliency``."""
    class Abstract(ast.NodeTransformer):
        def visit_Name(self, node):
            return ast.Name("V", node.ctx)

        def visit_Constant(self, node):
            return ast.Constant(0)

        def visit_arg(self, node):
            return ast.arg("V")

    return ast.dump(Abstract().visit(copy.deepcopy(statement)))


def _is_docstring(node) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


@lru_cache(maxsize=1)
def starter_statements() -> dict:
    """Function name -> (the shape (``_shape``) of each statement of its stub, the stub's stripped lines)."""
    from .notebook import load_notebook, to_python

    starters = {}
    for cell in load_notebook(RELEASE_NOTEBOOK).cells:
        if cell.cell_type != "code":
            continue
        source = to_python(cell.source)
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in STUDENT_FUNCTIONS:
                dumps = {_shape(s) for s in ast.walk(node) if isinstance(s, ast.stmt) and s is not node and not _is_docstring(s)}
                lines = {line.strip() for line in ast.get_source_segment(source, node).splitlines() if line.strip()}
                starters[node.name] = (frozenset(dumps), frozenset(lines))
    return starters


def _dropped_spans(node: ast.FunctionDef, starts: list, starter: frozenset) -> list:
    """Character spans of the function's source (which begins at ``node``) left out of its tokens."""
    def span(n):
        return (starts[n.lineno - 1] + n.col_offset - base, starts[n.end_lineno - 1] + n.end_col_offset - base)

    base = starts[node.lineno - 1] + node.col_offset
    body_start = starts[node.body[0].lineno - 1] + node.body[0].col_offset - base
    spans = [(0, body_start)]  # decorators, def line, signature
    for statement in ast.walk(node):
        if not isinstance(statement, ast.stmt) or statement is node:
            continue
        if _is_docstring(statement) or _is_print(statement) or _shape(statement) in starter:
            spans.append(span(statement))
    return spans


def _bound_names(node: ast.FunctionDef) -> set:
    names = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            names.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n is not node:
            names.add(n.name)
        elif isinstance(n, ast.arg):
            names.add(n.arg)
    return names


def _word(word: str, previous: str, bound: set) -> str:
    if keyword.iskeyword(word) or previous == ".":
        return word
    return word if word in KEPT_NAMES and word not in bound else "V"


def _tokens_parsed(source: str, node: ast.FunctionDef, starter: frozenset) -> list:
    """Tokens of ``source`` (the function's own text, from its def line) outside the dropped spans."""
    dropped = _dropped_spans(node, _line_starts(source), starter)
    bound, starts, tokens, previous = _bound_names(node), _line_starts(source), [], ""
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                        tokenize.ENDMARKER) or not tok.string:
            continue
        start = starts[tok.start[0] - 1] + tok.start[1]
        end = starts[tok.end[0] - 1] + tok.end[1]
        if any(a <= start < b for a, b in dropped):
            continue
        if tok.type == tokenize.NAME:
            text = _word(tok.string, previous, bound)
        elif tok.type == tokenize.NUMBER:
            text = "N"
        elif tok.type == tokenize.STRING or tok.type >= getattr(tokenize, "FSTRING_START", 10_000):
            text = "S"
        else:
            text = tok.string
        previous = tok.string
        tokens.append(Token(text, start, end))
    return tokens


def _tokens_fallback(source: str, starter_lines: frozenset) -> list:
    """Tokens of text that does not parse: words, numbers, strings and operators by regular expression."""
    tokens, previous, position = [], "", 0
    for line in source.splitlines(keepends=True):
        if line.strip() not in starter_lines and position > 0:  # the def line (position 0) is the signature
            for match in _FALLBACK_TOKEN.finditer(line):
                word = match.group("tok")
                if word is None:
                    continue
                if word[0].isalpha() or word[0] == "_":
                    text = _word(word, previous, set())
                else:
                    text = "N" if word[0].isdigit() else "S" if word[0] in "'\"" else word
                previous = word
                tokens.append(Token(text, position + match.start(), position + match.end()))
        position += len(line)
    return tokens


def _cut_unparsed(source: str, name: str) -> str:
    """The text of ``def name(...)`` in a cell that does not parse: to the next line at column 0."""
    match = next((m for m in _DEF.finditer(source) if m.group(1) == name), None)
    if match is None:
        return ""
    lines, out = source[match.start():].splitlines(keepends=True), []
    for number, line in enumerate(lines):
        if number and line.strip() and not line[0].isspace() and not line.lstrip().startswith("#"):
            break
        out.append(line)
    return "".join(out).rstrip() + "\n"


def functions_in_sources(sources: list, names=STUDENT_FUNCTIONS) -> dict:
    """Name -> Function for each of ``names`` defined at the top of one of ``sources`` (Python code,
    in order; the last definition wins). A function left as the stub has no tokens and is omitted."""
    found = {}
    starters = starter_statements()
    for source in sources:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            for name in names:
                text = _cut_unparsed(source, name)
                if text:
                    found[name] = Function(name, text, _tokens_fallback(text, starters.get(name, ((), frozenset()))[1]),
                                           parsed=False)
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in names:
                text = ast.get_source_segment(source, node)
                own = ast.parse(text).body[0]
                found[node.name] = Function(node.name, text + "\n",
                                            _tokens_parsed(text + "\n", own, starters.get(node.name, (frozenset(),))[0]))
    return {name: f for name, f in found.items() if f.tokens}


def notebook_functions(path: Path) -> dict:
    """The student functions of the notebook at ``path`` (SubmissionError if it cannot be read)."""
    from .notebook import read_program

    return functions_in_sources([cell.source for cell in read_program(Path(path)).cells])


def file_functions(path: Path) -> dict:
    """The student functions of a known solution: a ``.py`` file or a notebook."""
    path = Path(path)
    if path.suffix == ".ipynb":
        from .notebook import load_notebook, to_python

        return functions_in_sources([to_python(c.source) for c in load_notebook(path).cells if c.cell_type == "code"])
    return functions_in_sources([path.read_text(errors="replace")])
