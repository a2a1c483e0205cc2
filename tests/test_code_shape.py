"""The shape rules of ../shared/STYLE.md that a linter does not check by itself.

ruff's C901 (``max-complexity = 15`` in pyproject.toml) checks complexity; this test checks
length: no function in ``src/`` longer than 100 code lines (docstrings, comments and blank
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
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        if isinstance(body[0].value.value, str):
            doc_lines = set(range(body[0].lineno, body[0].end_lineno + 1))
    comment_only: set[int] = set()
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
    return len(code_rows - doc_lines - comment_only)


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
