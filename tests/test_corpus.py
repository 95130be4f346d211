"""The bad-input corpus: every file either works or is refused where it is wrong.

Each file in tests/corpus/ has an expectation below. A file that *works* must
give correct gradients (check_gradients, float64); a file that is *refused*
must raise a `BpgenError` (never an internal error, a RecursionError or any
other exception) whose `lineno`/`col_offset` point at the offending construct
and whose message reads `FILE:LINE:COL: error: ...` with the source line and
a caret. The command line must agree: exit 1 with `FILE:LINE:COL: error:` on
stderr, no traceback, nothing on stdout, and no output file with -o.

"Errors name the user's line" at the end checks refusals raised by every
stage of the pipeline (parse, lower, stage, reverse), in multi-line
statements, after tabs and non-ASCII text, deep in long functions and through
the decorator.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import sys
import tokenize
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients
from bpgen.errors import BpgenError

CORPUS = Path(__file__).resolve().parent / "corpus"
HAS_CLI = importlib.util.find_spec("bpgen.cli") is not None


@dataclass(frozen=True)
class Works:
    """Generates, and the gradients are right for these arguments."""

    args: Callable[[np.random.Generator], list]
    function: str | None = None
    wrt: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Refused:
    """Refused at (line, col) (1-based line, 0-based column), or anywhere in
    the file when line is None (a file that is not Python at all)."""

    line: int | None
    col: int | None
    words: tuple[str, ...] = ()  # each must appear in the message
    function: str | None = None
    wrt: tuple[str, ...] | None = None
    absent: tuple[str, ...] = ()  # none may appear in the message


@dataclass(frozen=True)
class Undecodable:
    """Not text in the declared encoding: only the command line can be given it."""


@dataclass(frozen=True)
class Known:
    """An expectation that fails today; strict xfail naming the request."""

    expect: Any
    title: str
    where: tuple[str, ...] = ("api", "cli")  # which tests fail today


def floats(*values: float) -> Callable[[np.random.Generator], list]:
    return lambda rng: [v + 0.05 * float(rng.standard_normal()) for v in values]


def arrays(*shapes) -> Callable[[np.random.Generator], list]:
    return lambda rng: [
        0.5 * rng.standard_normal(s) if s else 0.5 * float(rng.standard_normal())
        for s in shapes
    ]


def _clip_args(rng):
    size = 12
    spaced = (rng.permutation(size) + 1) * 0.1 + rng.uniform(0.02, 0.08, size)
    x = (spaced * rng.choice([-1, 1], size)).reshape(3, 4)
    return [x, np.full((3, 4), -0.2) + 0.0]


NO_FUNCTION = (
    'API: a module without functions says "defines 0 top-level functions (none); '
    'name the one to differentiate"'
)

EXPECT: dict[str, Any] = {
    # -- not Python at all -------------------------------------------------------
    "not_python_binary.bin": Refused(None, None),
    "not_python_png.py": Undecodable(),
    "not_python_utf16.py": Undecodable(),
    "not_python_latin1.py": Undecodable(),
    "not_python_nul.py": Refused(None, None),
    "not_python_json.json": Refused(None, None, ("function",)),
    "not_python_shell.sh": Refused(2, 5, ("syntax",)),
    "not_python_markdown.md": Refused(3, 12, ("syntax",)),
    "not_python_c.c": Refused(1, 4, ("syntax",)),
    "empty.py": Known(
        Refused(None, None, ("no top-level function",)), NO_FUNCTION, ("api",)
    ),
    "whitespace_only.py": Known(
        Refused(None, None, ("no top-level function",)), NO_FUNCTION, ("api",)
    ),
    "comments_only.py": Known(
        Refused(None, None, ("no top-level function",)), NO_FUNCTION, ("api",)
    ),
    "docstring_only.py": Known(
        Refused(None, None, ("no top-level function",)), NO_FUNCTION, ("api",)
    ),
    "no_function.py": Known(
        Refused(None, None, ("no top-level function",)), NO_FUNCTION, ("api",)
    ),
    "class_only.py": Known(
        Refused(None, None, ("no top-level function",)), NO_FUNCTION, ("api",)
    ),
    "two_functions_unnamed.py": Works(floats(0.3), function="f"),
    # -- syntax errors: where Python's own parser says ------------------------------
    "syntax_python2_print.py": Refused(2, 4, ("print",)),
    "syntax_unterminated_string.py": Refused(2, 8, ("unterminated",)),
    "syntax_unclosed_paren.py": Refused(2, 11, ("never closed",)),
    "syntax_indentation.py": Refused(2, 0, ("indent",)),
    "syntax_missing_colon.py": Refused(1, 8, ("':'",)),
    "syntax_def_without_body.py": Refused(1, 9, ("indented block",)),
    "syntax_bad_token.py": Refused(2, 13, ("syntax",)),
    "syntax_deep_parens_300.py": Refused(5, 211, ("nested",)),
    "syntax_deep_calls_300.py": Refused(5, 1618, ("nested",)),
    "syntax_nonlocal_at_top.py": Refused(2, 4, ("nonlocal",)),
    "syntax_return_outside.py": Refused(None, None),
    "syntax_error_late.py": Refused(7, 14, ("syntax",)),
    # -- statements -------------------------------------------------------------------
    "stmt_for.py": Works(arrays((4,))),  # a static trip count: unrolled
    "stmt_while.py": Works(floats(0.7)),  # a run-time trip count: flow.py
    "stmt_if.py": Works(floats(-0.7)),  # an early return: the rest is the else
    "stmt_if_else_assign.py": Works(floats(0.9)),  # a branch decided at run time
    "stmt_with.py": Refused(5, 4, ("with",)),
    "stmt_try.py": Refused(5, 4, ("try",)),
    "stmt_global.py": Refused(8, 4, ("global",)),
    "stmt_nonlocal_nested.py": Refused(6, 4, ("nested function",)),
    "stmt_yield.py": Refused(5, 4, ("yield",)),
    "stmt_yield_assign.py": Refused(5, 8, ("yield",)),
    "stmt_nested_def.py": Works(floats(0.6)),  # closure-free: staged like a helper
    "stmt_nested_def_closure.py": Refused(6, 4, ("nested function `g()` reads `s`",)),
    "stmt_class.py": Refused(5, 4, ("class",)),
    "stmt_del.py": Refused(6, 4, ("del",)),
    "stmt_assert.py": Works(lambda rng: [rng.uniform(0.5, 2.0, 4)]),  # left out
    "stmt_raise.py": Refused(6, 4, ("raise",)),
    "stmt_match.py": Refused(5, 4, ("match",)),
    "stmt_import_inside.py": Refused(5, 4, ("import",)),
    "stmt_item_assign.py": Works(arrays((4,))),  # into a fresh local array
    "stmt_slice_assign.py": Works(arrays((4,))),
    "stmt_item_augassign.py": Works(arrays((4,))),
    "stmt_item_assign_param.py": Refused(6, 4, ("parameter `x`", "copy")),
    "stmt_item_assign_param_alias.py": Refused(6, 4, ("`x`, a parameter",)),
    "stmt_item_assign_alias.py": Refused(7, 4, ("`z`",)),
    "stmt_item_assign_view.py": Refused(6, 4, ("shares memory",)),
    "stmt_item_assign_constant.py": Refused(8, 4, ("module constant `W`",)),
    "stmt_item_assign_attribute_base.py": Refused(6, 4, ("named on its own",)),
    "stmt_attr_assign.py": Refused(6, 4, ("attribute",)),
    "stmt_print.py": Works(arrays((3,))),  # kept in the forward (effects.py)
    "stmt_print_assigned.py": Refused(5, 8, ("print",)),
    "stmt_bare_expression.py": Refused(5, 4, ("not used",)),
    "stmt_return_middle.py": Refused(6, 4, ("return", "last")),
    "stmt_no_return.py": Refused(4, 4, ("return",)),
    "stmt_return_nothing.py": Refused(6, 4, ("return",)),
    "stmt_starred_unpack.py": Refused(5, 7, ("starred",)),  # fixed in a2044f0
    "stmt_unpack_mismatch.py": Refused(5, 11, ("unpack",)),
    "stmt_unpack_call.py": Works(arrays((3, 4))),
    "stmt_unpack_nested.py": Refused(5, 5, ("names", "two steps")),
    "stmt_unpack_star_shape.py": Works(arrays((2, 3, 4))),
    "stmt_unpack_short.py": Refused(5, 18, ("at least 3 names",)),
    "stmt_floordiv_assign.py": Refused(6, 6, ("//=",)),
    "stmt_async_def.py": Refused(4, 0, ("async",)),
    "stmt_await.py": Refused(4, 0, ("async",)),
    "stmt_alias_augassign.py": Refused(6, 4, ("in place",)),
    "stmt_view_augassign.py": Refused(7, 4, ("in place",)),
    "stmt_param_augassign.py": Refused(5, 4, ("in place",)),
    "stmt_ravel_view_augassign.py": Refused(7, 4, ("in place",)),
    # -- expressions -----------------------------------------------------------------
    "expr_lambda.py": Works(floats(0.4)),  # a named lambda: a nested def
    "expr_list_comprehension.py": Works(arrays((3,))),  # a loop appending
    "expr_generator.py": Refused(5, 18, ("generator",)),
    "expr_dict_comprehension.py": Refused(5, 8, ("comprehension",)),
    "expr_set_comprehension.py": Refused(5, 8, ("comprehension",)),
    "expr_dict.py": Works(floats(0.4)),  # literal keys: a named pack
    "expr_dict_computed_key.py": Refused(5, 9, ("literal string keys",)),
    "expr_dict_missing_key.py": Refused(6, 11, ("no literal key 'c'",)),
    "expr_walrus.py": Refused(5, 12, (":=",)),
    "expr_fstring.py": Refused(5, 8, ("f-string",)),
    "expr_conditional.py": Works(floats(-0.6)),  # an if/else
    "expr_and.py": Refused(5, 11, ("and",)),
    "expr_or.py": Refused(5, 16, ("or",)),
    "expr_not.py": Refused(5, 11, ("not x",)),
    "expr_floordiv.py": Refused(5, 11, ("//", "gradient")),
    "expr_mod.py": Refused(5, 11, ("%", "gradient")),
    "expr_bitand.py": Refused(5, 11, ("&", "gradient")),
    "expr_invert.py": Refused(5, 11, ("~", "gradient")),
    "expr_complex.py": Refused(5, 15, ("complex",)),
    "expr_complex_call.py": Refused(5, 11, ("complex",)),
    "expr_star_call.py": Refused(5, 22, ("*args",)),
    "expr_kwargs_call.py": Refused(7, 21, ("**kwargs",)),
    "expr_is_none.py": Works(arrays((3,))),  # `x is None` is False: no gradient
    "expr_in.py": Refused(5, 20, ("comparison",)),
    "expr_axis_not_literal.py": Refused(5, 11, ("axis", "literal")),
    "expr_keepdims_not_literal.py": Refused(5, 11, ("keepdims", "literal")),
    "expr_list_value.py": Refused(6, 11, ("list", "tuple")),
    "expr_attribute.py": Refused(5, 13, (".real",)),
    "expr_module_as_value.py": Refused(5, 8, ("np",)),
    "expr_function_as_value.py": Refused(5, 8, ("numpy.exp",)),
    "expr_undefined_name.py": Refused(5, 15, ("UNDEFINED",)),
    "expr_clip_bound.py": Works(_clip_args),
    # -- calls bpgen does not know ----------------------------------------------------
    "call_unknown_builtin.py": Refused(
        5, 11, ("foo", "looked in"), absent=("builtins.",)
    ),
    "call_sum_builtin.py": Refused(5, 11, ("sum",)),
    "call_len_list.py": Works(arrays((3,))),
    "call_user_function.py": Works(arrays((3,)), function="f"),
    "call_recursive.py": Refused(5, 11, ("recursion",), absent=("builtins.",)),
    "call_helper_recursive.py": Refused(
        9, 11, ("`f()` is called recursively (f -> g -> f)",), function="f"
    ),
    "call_scipy.py": Works(floats(0.3)),  # expit: the sigmoid gate
    "call_scipy_unknown.py": Refused(5, 11, ("scipy.special.ndtri",)),
    # user-declared gradients (@bpgen.gradient_of)
    "declared_works.py": Works(floats(0.4), function="f"),
    "declared_wrong_returns.py": Refused(
        9, 11, ("returns 1 gradient(s) but declares 2 input(s)",), function="f"
    ),
    "declared_unknown_name.py": Refused(8, 50, ("`z` is not defined",), function="f"),
    "declared_not_callable.py": Refused(
        6, 19, ("`math.pi` is a constant, not a function",), function="f"
    ),
    "declared_no_g.py": Refused(7, 13, ("must take `g, out`",), function="f"),
    "declared_body.py": Refused(8, 4, ("must be one `return`",), function="f"),
    "call_np_linalg.py": Works(arrays((3, 4))),  # np.linalg.norm: a gate now
    "call_np_random.py": Refused(5, 15, ("numpy.random.shuffle",)),
    "call_math_gamma.py": Works(floats(1.7)),  # math.gamma: a gate now
    "call_math_fmod.py": Refused(5, 11, ("math.fmod",)),
    "call_unknown_method.py": Refused(5, 13, (".conj()",)),
    "call_unknown_np.py": Refused(5, 11, ("numpy.frobnicate",)),
    "call_unknown_module_attr.py": Refused(5, 15, ("numpy.not_a_constant",)),
    "call_unknown_math_attr.py": Refused(5, 15, ("math.tau2",)),
    "call_method_on_module.py": Refused(5, 11, ("numpy.exp.at",)),
    "call_too_many_args.py": Refused(5, 11, ("too many arguments",)),
    "call_bad_keyword.py": Refused(5, 11, ("dtype",)),  # fixed in a2044f0
    "call_max_one_arg.py": Refused(5, 11, ("max()",)),
    # -- signatures --------------------------------------------------------------------
    "sig_star_args.py": Refused(4, 6, ("*args",)),
    "sig_kwargs.py": Refused(4, 9, ("**kwargs",)),
    "sig_posonly.py": Refused(4, 6, ("positional-only",)),
    "sig_default_unknown.py": Refused(4, 11, ("UNKNOWN",)),
    "sig_decorated.py": Works(floats(0.4)),
    # -- names that collide with what bpgen writes: all must work ----------------------
    "names_dx_param.py": Works(floats(0.3, -0.7)),
    "names_dx_local.py": Works(floats(0.3, -0.7)),
    "names_cache_dout.py": Works(arrays((3, 4), (4,))),
    "names_np_variable.py": Works(floats(0.3)),
    "names_math_variable.py": Works(arrays((3,))),
    "names_numpy_variable.py": Works(arrays((2, 3))),
    "names_unbroadcast.py": Works(arrays((3, 1), (1, 4))),
    "names_temporaries.py": Works(arrays((3, 4), (4,))),
    "names_own_name.py": Works(floats(0.3)),
    "names_forward_backward.py": Works(arrays((3,))),
    "names_grad_variants.py": Works(arrays((3, 4), (3, 1))),
    "names_params_like_generated.py": Works(arrays((3,), (3,), (3,), (3,), (3,))),
    "names_param_np_in_math.py": Works(floats(0.5, 0.3)),
    "names_param_math_in_numpy.py": Works(arrays((3,), (3,))),
    "names_module_constant_dx.py": Works(floats(0.3)),
    "names_builtin_shadow.py": Works(floats(0.3)),
    "names_nonascii.py": Works(floats(0.3, -0.4)),
    "names_nonascii_numpy.py": Works(arrays((4, 3), (2, 4))),
    "names_nfkc.py": Works(floats(0.3)),  # fixed in a2044f0
    "names_unicode_text.py": Works(floats(0.3)),
    "names_long_identifier.py": Works(floats(0.3)),
    "names_self_cache_tuple.py": Works(arrays((3,))),
    # -- formatting that is still Python -----------------------------------------------
    "format_crlf.py": Works(floats(0.3)),
    "format_tabs.py": Works(floats(0.3)),
    "format_utf8_bom.py": Works(floats(0.3)),
    "format_latin1_declared.py": Works(floats(0.3)),
    "format_one_line.py": Works(floats(0.3)),
    "format_semicolons.py": Works(floats(0.3)),
    "format_continuation.py": Works(floats(0.3, 0.6)),
    # -- deep expressions (300 levels) -------------------------------------------------
    "deep_sum_300.py": Works(floats(0.3)),
    "deep_unary_300.py": Works(floats(0.3)),
    "deep_pow_300.py": Works(floats(0.7)),
    "deep_calls_150.py": Works(arrays((3,))),
    "deep_mixed_300.py": Works(floats(0.3, 0.4)),
}

FILES = sorted(p.name for p in CORPUS.iterdir() if p.is_file())


def _read(path: Path) -> str | None:
    """The file's text as Python reads source (coding cookie, BOM), or None."""
    try:
        with tokenize.open(path) as handle:
            return handle.read()
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None


def _param(name: str, test: str):
    expect = EXPECT.get(name)
    if isinstance(expect, Known):
        mark = pytest.mark.xfail(
            strict=True, reason=f"see /tmp/bpgen-requests.md: {expect.title}"
        )
        marks = [mark] if test in expect.where else []
        return pytest.param(name, expect.expect, id=name, marks=marks)
    return pytest.param(name, expect, id=name)


API_PARAMS = [_param(name, "api") for name in FILES]
CLI_PARAMS = [_param(name, "cli") for name in FILES]


def test_every_corpus_file_has_an_expectation():
    assert set(FILES) - set(EXPECT) == set(), "corpus files without an expectation"
    assert set(EXPECT) - set(FILES) == set(), "expectations without a corpus file"


def _check_refusal(
    exc: BaseException, expect: Refused, filename: str, source: str | None
):
    assert isinstance(exc, BpgenError), f"{type(exc).__name__}: {exc}"
    assert type(exc).__name__ != "InternalError", f"internal error: {exc}"
    message = str(exc)
    assert "Traceback" not in message
    for word in expect.words:
        assert word in message, f"{word!r} not in {message!r}"
    for word in expect.absent:
        assert word not in message, f"{word!r} in {message!r}"
    if expect.line is None:
        assert message.startswith(f"{filename}:"), message
        if exc.lineno is not None and source is not None:
            assert 1 <= exc.lineno <= max(1, len(source.splitlines())), exc.lineno
        return
    assert (exc.lineno, exc.col_offset) == (expect.line, expect.col), message
    head = f"{filename}:{expect.line}:{expect.col + 1}: error: "
    assert message.startswith(head), message
    if source is not None:
        line = source.splitlines()[expect.line - 1]
        shown, caret = message.splitlines()[1:3]
        assert shown.strip() == line.expandtabs(1).strip(), (shown, line)
        assert caret.index("^") - 4 == min(expect.col, len(line.rstrip())), message


@pytest.mark.parametrize("name, expect", API_PARAMS)
def test_api(name, expect):
    path = CORPUS / name
    source = _read(path)
    if isinstance(expect, Undecodable):
        assert source is None
        return
    assert source is not None
    if isinstance(expect, Works):
        rng = np.random.default_rng(sum(map(ord, name)))
        args = expect.args(rng)
        code = check_gradients(source, args, expect.function, expect.wrt)
        assert code == bpgen.generate(source, expect.function, expect.wrt)
        return
    with pytest.raises(Exception) as info:
        bpgen.generate(source, expect.function, expect.wrt, filename=name)
    _check_refusal(info.value, expect, name, source)


def _cli(argv: list[str]) -> tuple[int, str, str]:
    """Run the command line in this process: (exit status, stdout, stderr)."""
    from bpgen import cli

    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    out.flush()
    err.flush()
    return status, out.buffer.getvalue().decode(), err.buffer.getvalue().decode()


@pytest.mark.skipif(not HAS_CLI, reason="bpgen/cli.py does not exist yet")
@pytest.mark.parametrize("name, expect", CLI_PARAMS)
def test_cli(name, expect, tmp_path):
    path = CORPUS / name
    target = tmp_path / "out.py"
    argv = [str(path)]
    function = getattr(expect, "function", None)
    if function is not None:
        argv += ["-f", function]
    wrt = getattr(expect, "wrt", None)
    if wrt:
        argv += ["--wrt", ",".join(wrt)]
    status, out, err = _cli(argv)
    status_o, out_o, err_o = _cli([*argv, "-o", str(target)])
    assert "Traceback" not in err + err_o
    assert "internal error" not in err + err_o
    if isinstance(expect, Works):
        assert (status, status_o, err) == (0, 0, ""), err + err_o
        assert "error" not in err_o, err_o
        compile(out, "<cli output>", "exec")
        assert f"def {function or 'f'}_backward(" in out
        assert target.read_text() == out
        return
    assert status == status_o == 1, (status, status_o, err)
    assert out == out_o == "", out
    assert not target.exists(), "an output file was written for a refused input"
    first = err.splitlines()[0]
    for word in getattr(expect, "words", ()):
        assert word in err, err
    for word in getattr(expect, "absent", ()):
        assert word not in err, err
    if isinstance(expect, Refused) and expect.line is not None:
        assert first.startswith(
            f"{path}:{expect.line}:{expect.col + 1}: error: "
        ), first
    else:
        assert first.startswith(f"{path}:") and ": error: " in first, first


def test_cli_subprocess_end_to_end(tmp_path):
    """A few corpus files through a real `python -m bpgen` process."""
    import subprocess

    if not HAS_CLI:
        pytest.skip("bpgen/cli.py does not exist yet")
    for name, status in [
        ("stmt_try.py", 1),
        ("not_python_png.py", 1),
        ("names_dx_param.py", 0),
    ]:
        target = tmp_path / f"{name}.out.py"
        run = subprocess.run(
            [sys.executable, "-m", "bpgen", str(CORPUS / name), "-o", str(target)],
            capture_output=True,
            text=True,
        )
        assert run.returncode == status, run.stderr
        assert "Traceback" not in run.stderr
        assert target.exists() == (status == 0)
        if status:
            assert run.stderr.startswith(f"{CORPUS / name}:"), run.stderr


# -- big inputs ------------------------------------------------------------------------


def _long_function(n: int, bad_at: int | None = None) -> str:
    lines = ["h0 = x"]
    for i in range(1, n):
        if i == bad_at:
            lines.append(f"h{i} = h{i - 1} // 2")
        else:
            lines.append(f"h{i} = h{i - 1} * 0.999 + math.sin(x) * 0.001")
    lines.append(f"return h{n - 1}")
    return "import math\n\n\ndef f(x):\n" + "".join(f"    {line}\n" for line in lines)


def test_function_of_5000_statements():
    source = _long_function(5000)
    code = check_gradients(source, [0.3])
    compile(code, "<generated>", "exec")


def test_function_of_5000_statements_refused_near_the_end():
    source = _long_function(5000, bad_at=4990)
    with pytest.raises(BpgenError) as info:
        bpgen.generate(source, filename="long.py")
    # line 4 is `def f(x):`, statement i is on line 5 + i
    _check_refusal(info.value, Refused(4995, 12, ("//",)), "long.py", source)


@pytest.mark.slow
def test_3000_term_expression(request):
    if "slow" not in (request.config.getoption("markexpr") or "") and not _long_run():
        pytest.skip("long run: set BPGEN_LONG=1 or select -m slow")
    source = "import math\n\n\ndef f(x):\n    return math.exp(x)" + " + x" * 3000 + "\n"
    code = bpgen.generate(source)
    forward, backward = __import__("bpgen.check", fromlist=["load"]).load(code, "f")
    out, cache = forward(0.3)
    assert backward(1.0, cache) == pytest.approx((np.exp(0.3) + 3000,))


def _long_run() -> bool:
    import os

    return os.environ.get("BPGEN_LONG", "") not in ("", "0")


# -- errors name the user's line, at every stage of the pipeline -----------------------


@dataclass(frozen=True)
class Located:
    stage: str
    source: str
    line: int
    col: int
    words: tuple[str, ...] = ()
    function: str | None = None
    wrt: tuple[str, ...] | None = None
    kwargs: dict = field(default_factory=dict)


N = "import numpy as np\n\n\n"
LOCATED = [
    Located(
        "parse",
        N + "def f(x):\n    y = x * 2.0\n    return y +* 3\n",
        6,
        14,
        ("syntax",),
    ),
    Located(
        "parse",
        N + "def f(x):\n    y = (x *\n         2.0 +\n         )\n    return y\n",
        7,
        9,
    ),
    Located(
        "lower",
        N + "def f(x):\n    y = x * 2.0\n    z = y + (lambda t: t)(y)\n    return z\n",
        6,
        13,
        ("lambda",),
    ),
    Located(
        "lower",
        N
        + "def f(x):\n    y = (x * 2.0 +\n"
        + "         np.frob(x) +\n         x)\n    return y\n",
        6,
        9,
        ("numpy.frob",),
    ),
    Located(
        "stage",
        N
        + "def f(x, y):\n    z = (x * 2.0 +\n"
        + "         y // 3 +\n         x)\n    return z\n",
        6,
        9,
        ("//",),
    ),
    Located(
        "stage",
        N + "def f(x):\n    y = x * 2.0\n    return y\n    z = y\n",
        6,
        4,
        ("return",),
    ),
    Located(
        "stage", N + "def f(x):\n    a, b = x, x, x\n    return a\n", 5, 11, ("unpack",)
    ),
    Located(
        "stage",
        N + "def f(x):\n    y = x * 2.0\n    x[0] = 1.0\n    return y\n",
        6,
        4,
        ("parameter",),
    ),
    Located(
        "reverse",
        N + "def f(x, k):\n    y = x * 2.0\n    return np.sum(y, axis=k)\n",
        6,
        11,
        ("literal",),
        wrt=("x",),
    ),
    Located(
        "reverse",
        N
        + "def f(x, k):\n    y = x * 2.0\n    z = np.mean(y,\n"
        + "                axis=k)\n    return z\n",
        6,
        8,
        ("literal",),
        wrt=("x",),
    ),
    Located(
        "second function",
        N
        + "def f(x):\n    return x * 2.0\n\n\n"
        + "def g(x):\n    y = x * 2.0\n    return y % 2\n",
        10,
        11,
        ("%",),
        function="g",
    ),
    Located("tabs", N + "def f(x):\n\ty = x * 2.0\n\treturn y // 2\n", 6, 8, ("//",)),
    Located(
        "non-ASCII",
        N + "def f(α):\n    βγ = α * 2.0\n    return βγ // 2\n",
        6,
        11,
        ("//",),
    ),
    Located(
        "CRLF",
        (N + "def f(x):\n    y = x * 2.0\n    return y // 2\n").replace("\n", "\r\n"),
        6,
        11,
        ("//",),
    ),
    Located(
        "line_offset",
        N + "def f(x):\n    return x // 2\n",
        105,
        11,
        ("//",),
        kwargs={"line_offset": 100},
    ),
]


@pytest.mark.parametrize(
    "case", LOCATED, ids=[f"{c.stage}-{i}" for i, c in enumerate(LOCATED)]
)
def test_errors_name_the_users_line(case):
    with pytest.raises(BpgenError) as info:
        bpgen.generate(
            case.source, case.function, case.wrt, filename="model.py", **case.kwargs
        )
    exc = info.value
    assert type(exc).__name__ != "InternalError", str(exc)
    assert (exc.lineno, exc.col_offset) == (case.line, case.col), str(exc)
    message = str(exc)
    assert message.startswith(f"model.py:{case.line}:{case.col + 1}: error: "), message
    for word in case.words:
        assert word in message, message
    offset = case.kwargs.get("line_offset", 0)
    line = case.source.splitlines()[case.line - 1 - offset]
    shown, caret = message.splitlines()[1:3]
    assert shown.strip() == line.expandtabs(1).strip()
    # the caret sits under the column (tabs count as one column, as Python counts them)
    assert caret.index("^") - 4 == case.col


def test_decorator_errors_name_the_files_line(tmp_path, monkeypatch):
    """@bpgen.differentiable refuses at import time, pointing into the user's file."""
    monkeypatch.setenv("BPGEN_NO_CACHE", "1")
    module = tmp_path / "decorated_model.py"
    module.write_text(
        "import numpy as np\n"
        "import bpgen\n"
        "\n"
        "\n"
        "# some lines before the function\n"
        "\n"
        "\n"
        "@bpgen.differentiable\n"
        "def loss(x):\n"
        "    y = x * 2.0\n"
        "    with np.errstate(all='ignore'):\n"
        "        y = y * x\n"
        "    return y\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(BpgenError) as info:
        importlib.import_module("decorated_model")
    exc = info.value
    assert (exc.lineno, exc.col_offset) == (11, 4), str(exc)
    assert exc.filename == str(module)
    assert str(exc).startswith(f"{module}:11:5: error: ")
