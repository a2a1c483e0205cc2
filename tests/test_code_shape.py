"""The shape rules of ../shared/STYLE.md that a linter does not check by itself.

ruff's C901 (``max-complexity = 15`` in pyproject.toml) checks complexity; this test checks
length: no function in ``src/`` longer than 100 lines, counted whole (``def`` to its last line,
docstring included), and none with more than 100 code lines (docstrings, comments and blank
lines not counted).
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "bereikbaar"
MAX_CODE_LINES = 100


def _code_lines(source: str, node: ast.AST) -> int:
    """Lines of ``node`` holding code: not blank, not only a comment, not its docstring."""
    lines = source.splitlines()[node.lineno - 1 : node.end_lineno]
    doc_lines: set[int] = set()
    body = getattr(node, "body", [])
    first = body[0] if body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        doc_lines = set(range(first.lineno, first.end_lineno + 1))
    tokens = tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline)
    code_rows = set()
    for tok in tokens:
        if tok.type not in (
            tokenize.COMMENT,
            tokenize.NL,
            tokenize.NEWLINE,
            tokenize.INDENT,
            tokenize.DEDENT,
            tokenize.ENDMARKER,
        ):
            for row in range(tok.start[0], tok.end[0] + 1):
                code_rows.add(row + node.lineno - 1)
    return len(code_rows - doc_lines)


def _functions():
    for path in sorted(SRC.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield path.relative_to(SRC.parent), node, _code_lines(source, node)


def test_code_line_counter_counts_code_only():
    source = 'def f(x):\n    """Doc\n\n    more doc."""\n    # a comment\n\n    y = (x +\n         1)\n    return y\n'
    node = ast.parse(source).body[0]
    assert _code_lines(source, node) == 4  # def, two lines of the expression, return


def test_no_function_longer_than_100_code_lines():
    too_long = [
        f"{path}:{node.lineno} {node.name} has {n} code lines"
        for path, node, n in _functions()
        if n > MAX_CODE_LINES
    ]
    assert not too_long, "split these into named phases:\n" + "\n".join(too_long)


def test_no_function_longer_than_100_lines_with_its_docstring():
    too_long = [
        f"{path}:{node.lineno} {node.name} has {node.end_lineno - node.lineno + 1} lines"
        for path, node, _ in _functions()
        if node.end_lineno - node.lineno + 1 > MAX_CODE_LINES
    ]
    assert not too_long, "split these into named phases:\n" + "\n".join(too_long)
