"""The code people actually write (issue 12): tuple unpacking of shapes and
tuple values, item assignment into a fresh local array, the messages of
refused calls, and the command line going on past a refused function.

Every accepted idiom is checked numerically in float64; the main ones also
pin the generated text, which must read like a careful person's.
"""

from __future__ import annotations

import contextlib
import io
import textwrap

import numpy as np
import pytest

import bpgen
from bpgen.check import check_gradients, load
from bpgen.errors import BpgenError


def _src(body: str) -> str:
    return "import numpy as np\n\n\n" + textwrap.dedent(body).lstrip()


def _function(code: str, name: str) -> str:
    """The text of one generated function, from `def` to the next blank lines."""
    start = code.index(f"def {name}(")
    end = code.find("\n\n\n", start)
    return code[start:] if end < 0 else code[start : end + 1]


def _refused(source: str, **kwargs) -> BpgenError:
    with pytest.raises(BpgenError) as info:
        bpgen.generate(source, filename="model.py", **kwargs)
    assert type(info.value).__name__ != "InternalError", str(info.value)
    return info.value


RNG = np.random.default_rng(12)


# -- tuple unpacking --------------------------------------------------------------


SPATIAL = _src("""
    def chan_mean(x, gamma):
        N, C, H, W = x.shape
        mu = x.sum(axis=(0, 2, 3)) / (N * H * W)
        return gamma * mu
    """)


def test_unpacking_a_shape_reads_each_dimension():
    code = check_gradients(
        SPATIAL, [RNG.standard_normal((2, 3, 4, 5)), RNG.standard_normal(3)]
    )
    assert _function(code, "chan_mean_forward") == textwrap.dedent('''\
        def chan_mean_forward(x, gamma):
            """Run chan_mean; return its value and what chan_mean_backward needs."""
            N = x.shape[0]
            H = x.shape[2]
            W = x.shape[3]
            t1 = x.sum(axis=(0, 2, 3))
            t2 = N * H * W
            mu = t1 / t2
            out = gamma * mu
            return out, (x, gamma, t2, mu)
        ''')


def test_starred_and_underscore_targets():
    source = _src("""
        def flatten(x, w):
            N, *rest = x.shape
            _, D = w.shape
            h = x.reshape(N, -1).dot(w)
            return h * len(rest) / D
        """)
    code = check_gradients(
        source, [RNG.standard_normal((2, 3, 4)), RNG.standard_normal((12, 5))]
    )
    forward = _function(code, "flatten_forward")
    assert "rest = list(x.shape[1:])" in forward
    assert "D = w.shape[1]" in forward
    assert "_ =" not in forward  # unused: dropped


def test_starred_target_in_the_middle_and_at_the_end():
    source = _src("""
        def f(x):
            a, *mid, b = x.shape
            *lead, c = x.shape
            return x * (a + b + c + len(mid) + len(lead))
        """)
    check_gradients(source, [RNG.standard_normal((2, 3, 4, 5))])


def test_unpacking_a_call_computes_it_once():
    source = _src("""
        def f(x):
            rows, cols = np.shape(x)
            return x * rows + cols
        """)
    code = check_gradients(source, [RNG.standard_normal((3, 4))])
    forward = _function(code, "f_forward")
    assert forward.count("np.shape(x)") == 1
    assert "rows = t1[0]" in forward and "cols = t1[1]" in forward


def test_unpacking_a_differentiated_array_takes_its_rows():
    source = _src("""
        def f(x, w):
            first, second = x * w
            return first * second
        """)
    code = check_gradients(
        source, [RNG.standard_normal((2, 3)), RNG.standard_normal(3)]
    )
    assert "first = t1[0]" in code and "second = t1[1]" in code


def test_unpacking_a_literal_tuple_with_a_star():
    source = _src("""
        def f(x):
            a, *rest = 2.0, 3.0, 4.0
            b, *more, c = x, 1.0, 2.0, x
            return a * b * c + len(rest) + len(more)
        """)
    check_gradients(source, [RNG.standard_normal(3)])


def test_refused_unpacking_says_what_to_write():
    star = _refused(_src("def f(x):\n    a, *b = x, x * 2.0\n    return a\n"))
    assert (star.lineno, star.col_offset) == (5, 7)
    assert "*b" in star.message and "one name per value" in star.hint
    short = _refused(_src("def f(x):\n    a, b, c = x, x\n    return a\n"))
    assert (short.lineno, short.col_offset) == (5, 14)
    assert "cannot unpack 2 values into 3 names" in short.message
    nested = _refused(_src("def f(x):\n    (a, b), c = (x, x), x\n    return a\n"))
    assert (nested.lineno, nested.col_offset) == (5, 5)
    assert "`ab, c = ...`, then `a, b = ab`" in nested.hint


# -- item assignment into a fresh local array ------------------------------------


SVM = _src("""
    def svm_loss(scores, y):
        N, C = scores.shape
        correct = scores[np.arange(N), y][:, np.newaxis]
        margins = np.maximum(0, scores - correct + 1.0)
        margins[np.arange(N), y] = 0
        loss = np.sum(margins) / N
        return loss
    """)


def _svm_args():
    return [RNG.standard_normal((5, 4)), np.array([0, 3, 1, 1, 2])]


def test_svm_margins_zeroed_at_the_labels():
    code = check_gradients(SVM, _svm_args(), wrt=["scores"])
    assert _function(code, "svm_loss_forward") == textwrap.dedent('''\
        def svm_loss_forward(scores, y):
            """Run svm_loss; return its value and what svm_loss_backward needs."""
            N = scores.shape[0]
            t1 = scores[np.arange(N), y]
            correct = t1[:, np.newaxis]
            margins = np.maximum(0, scores - correct + 1.0)
            margins_1 = margins.copy()
            margins_1[np.arange(N), y] = 0
            loss = np.sum(margins_1) / N
            return loss, (scores, y, N, t1, np.shape(correct), margins, margins_1)
        ''')
    # the backward made dmargins_1 itself: the labels' items are zeroed in
    # place, and so are the ReLU's (Options.masks)
    assert (
        textwrap.dedent("""\
            dmargins_1 = np.full_like(margins_1, dt4)
            # margins_1[np.arange(N), y] = 0
            dmargins_1[np.arange(N), y] = 0
            # margins = np.maximum(0, scores - correct + 1.0)
            dmargins_1 *= margins > 0
            """)
        in textwrap.dedent(_function(code, "svm_loss_backward").split('"""', 2)[2])
    )


def test_gradient_not_owned_by_the_backward_is_copied_before_zeroing():
    source = _src("""
        def f(x):
            out = x * 3.0
            out[0] = 0.0
            return out
        """)
    code = check_gradients(source, [RNG.standard_normal((3, 2))])
    assert "d_out = dout.copy()\n    d_out[0] = 0\n" in code


def test_mask_assignment_relu():
    source = _src("""
        def relu(x, w):
            out = x * w
            out[out < 0] = 0
            return out
        """)
    code = check_gradients(
        source, [RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))]
    )
    assert _function(code, "relu_backward") == textwrap.dedent('''\
        def relu_backward(dout, cache):
            """Gradients of relu with respect to x, w."""
            x, w, out = cache
            # out_1[out < 0] = 0
            d_out = dout.copy()
            d_out[out < 0] = 0
            # out = x * w
            dx = _unbroadcast(d_out * w, np.shape(x))
            dw = _unbroadcast(d_out * x, np.shape(w))
            # new arrays the caller may write into, a float for a float
            dx = _like(dx, x)
            dw = _like(dw, w)
            return (dx, dw)
        ''')


def test_writing_into_zeros_like_is_in_place_when_nothing_reads_the_old_items():
    source = _src("""
        def leaky(x):
            out = np.zeros_like(x)
            out[x > 0] = x[x > 0]
            out[x <= 0] = 0.01 * x[x <= 0]
            return out
        """)
    code = check_gradients(source, [RNG.standard_normal((4, 3))])
    forward = _function(code, "leaky_forward")
    assert ".copy()" not in forward
    assert "    out[x > 0] = t1\n" in forward and "    out[x <= 0] = t3\n" in forward
    assert "return out, (" in forward


def test_differentiated_value_gets_the_gathered_gradient():
    source = _src("""
        def f(x, v, s: float):
            out = x * 2.0
            out[1:3] = v
            out[:, 0] = s
            return out * x
        """)
    code = check_gradients(
        source, [RNG.standard_normal((4, 5)), RNG.standard_normal(5), 0.7]
    )
    assert "ds = np.sum(" in code  # a float gets a float


def test_augmented_item_assignment():
    source = _src("""
        def f(x, v):
            out = x * 2.0
            out[0] += v
            out[1:] -= x[1:] * v
            out[0] *= x[0]
            return out
        """)
    check_gradients(source, [RNG.standard_normal((3, 4)), RNG.standard_normal(4)])


def test_a_cached_view_of_the_array_keeps_its_items():
    """`out[0] *= x[0]` reads out[0] (a view) for the backward: the write
    must not change it, so it goes into a copy."""
    source = _src("""
        def f(x):
            out = x * 2.0
            out[0] *= x[0]
            return out
        """)
    code = check_gradients(source, [RNG.standard_normal((3, 4))])
    assert "out_1 = out.copy()" in code


def test_item_assignment_on_values_not_differentiated():
    source = _src("""
        def f(x):
            mask = np.zeros_like(x)
            mask[x > 0] = 1.0
            weights = np.ones(x.shape[0])
            weights[0] = 2.0
            return x * mask * weights[:, None]
        """)
    check_gradients(source, [RNG.standard_normal((3, 4))])


def test_forward_leaves_the_arguments_alone():
    code = bpgen.generate(SVM, wrt=["scores"])
    forward, backward = load(code, "svm_loss")
    scores, y = _svm_args()
    before = scores.copy()
    loss, cache = forward(scores, y)
    backward(1.0, cache)
    assert np.array_equal(scores, before)


@pytest.mark.parametrize(
    "body, line, col, words",
    [
        ("    x[0] = 0.0\n", 5, 4, ("the parameter `x`", "caller")),
        ("    y = x\n    y[0] = 0.0\n", 6, 4, ("`x`, a parameter",)),
        ("    y = x * 2.0\n    z = y\n    y[0] = 0.0\n", 7, 4, ("`z` also names",)),
        ("    y = x.reshape(-1)\n    y[0] = 0.0\n", 6, 4, ("shares memory",)),
        ("    y = x * 2.0\n    y.T[0] = 0.0\n", 6, 4, ("named on its own",)),
        ("    z[0] = 0.0\n", 5, 4, ("before it is defined",)),
    ],
)
def test_assignment_into_what_the_function_did_not_create_is_refused(
    body, line, col, words
):
    error = _refused(_src("def f(x):\n" + body + "    return x * 2.0\n"))
    assert (error.lineno, error.col_offset) == (line, col), str(error)
    for word in words:
        assert word in error.message, error.message
    if "before" not in error.message and "own" not in error.message:
        assert ".copy()" in error.hint


# -- messages for calls bpgen cannot follow --------------------------------------


def test_a_helper_function_is_followed():
    source = _src("""
        def sigmoid(a):
            return 1.0 / (1.0 + np.exp(-a))


        def layer(x, w):
            return sigmoid(x.dot(w))
        """)
    rng = np.random.default_rng(0)
    check_gradients(source, [rng.normal(size=(2, 3)), rng.normal(size=(3, 4))], "layer")


def test_an_unknown_name_says_where_bpgen_looked():
    error = _refused(_src("def f(x):\n    return frobnicate(x)\n"))
    assert "`frobnicate()` is not defined" in error.message
    assert (
        "module's functions, constants and imports, and Python's builtins"
        in error.message
    )
    assert "builtins." not in str(error)
    value = _refused(_src("def f(x):\n    return x * scale\n"))
    assert (
        "name `scale` is not defined" in value.message and "looked in" in value.message
    )


def test_a_builtin_and_recursion_are_named():
    builtin = _refused(_src("def f(x):\n    return sorted(x)\n"))
    assert "the builtin `sorted()`" in builtin.message
    summed = _refused(_src("def f(x):\n    return sum(x)\n"))
    assert "np.sum" in summed.hint
    recursion = _refused(_src("def f(x):\n    return f(x * 0.5)\n"))
    assert "recursion" in recursion.message


# -- the command line goes on past a refused function ----------------------------


MIXED = _src("""
    def good(x):
        return x * 2.0


    def loops(x):
        with np.errstate(all="ignore"):
            x = x * 2.0
        return x


    def also_good(x):
        return np.tanh(x)


    def helper_call(x):
        return helper_call(x) + 1.0
    """)


def _cli(argv):
    from bpgen import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue(), err.getvalue()


def test_cli_writes_what_succeeded_and_reports_every_refusal(tmp_path):
    source = tmp_path / "mixed.py"
    source.write_text(MIXED)
    target = tmp_path / "mixed_grad.py"
    status, out, err = _cli([str(source), "-o", str(target)])
    assert status == 1
    assert f"{source}:9:5: error: `with` blocks are not supported" in err
    assert f"{source}:19:12: error: `helper_call()` is called recursively" in err
    written = target.read_text()
    assert "def good_backward(" in written and "def also_good_backward(" in written
    assert "loops_" not in written and "helper_call_" not in written
    namespace: dict = {}
    exec(compile(written, str(target), "exec"), namespace)
    out_value, cache = namespace["also_good_forward"](0.3)
    assert namespace["also_good_backward"](1.0, cache)[0] == pytest.approx(
        1 - np.tanh(0.3) ** 2
    )


def test_cli_with_named_functions_stops_at_the_refusal(tmp_path):
    source = tmp_path / "mixed.py"
    source.write_text(MIXED)
    target = tmp_path / "mixed_grad.py"
    status, out, err = _cli([str(source), "-f", "good,loops", "-o", str(target)])
    assert status == 1 and not target.exists()
    assert "`with` blocks" in err


def test_api_still_raises_on_the_first_refusal():
    from bpgen.generate import generate_module

    with pytest.raises(BpgenError) as info:
        generate_module(MIXED)
    assert "`with` blocks" in str(info.value)
    refusals: list[BpgenError] = []
    text = generate_module(MIXED, refusals=refusals)
    assert [e.lineno for e in refusals] == [9, 19]
    assert text is not None and "def good_backward(" in text


# -- small everyday calls ---------------------------------------------------------


DROPOUT = _src("""
    def dropout(x, w, p: float):
        mask = (np.random.rand(*x.shape) < p) / p
        return x.dot(w) * mask
    """)


def test_dropout_mask_is_drawn_once_and_cached():
    code = bpgen.generate(DROPOUT, wrt=["x", "w"])
    forward_text = _function(code, "dropout_forward")
    assert forward_text.count("np.random.rand(*x.shape)") == 1
    assert "np.random" not in _function(code, "dropout_backward")
    forward, backward = load(code, "dropout")
    x, w = RNG.standard_normal((4, 3)), RNG.standard_normal((3, 3))
    np.random.seed(5)
    out, cache = forward(x, w, 0.5)
    np.random.seed(5)
    mask = (np.random.rand(4, 3) < 0.5) / 0.5
    assert np.array_equal(out, x.dot(w) * mask)  # the user's function, same draw
    np.random.rand(100)  # the random state moves on before the backward
    dout = RNG.standard_normal((4, 3))
    dx, dw = backward(dout, cache)
    assert np.allclose(dx, (dout * mask).dot(w.T))
    assert np.allclose(dw, x.T.dot(dout * mask))


def test_dropout_gradients_with_a_fixed_draw(monkeypatch):
    draw = np.random.default_rng(3).random((4, 3))
    monkeypatch.setattr(np.random, "rand", lambda *shape: draw[: shape[0], : shape[1]])
    args = [RNG.standard_normal((4, 3)), RNG.standard_normal((3, 3)), 0.5]
    check_gradients(DROPOUT, args, wrt=["x", "w"])


def test_a_random_condition_or_index_is_not_drawn_again():
    source = _src("""
        def f(x):
            kept = np.where(np.random.rand(3, 4) < 0.5, x, 0.0)
            out = kept * 2.0
            out[np.random.rand(3, 4) < 0.3] = 0.0
            return out
        """)
    code = bpgen.generate(source)
    assert "random" not in _function(code, "f_backward")
    forward, backward = load(code, "f")
    x = RNG.standard_normal((3, 4))
    out, cache = forward(x)
    (dx,) = backward(np.ones((3, 4)), cache)
    assert np.array_equal(dx, 2.0 * (out != 0))


def test_an_unused_draw_is_kept_so_later_draws_match():
    source = _src("""
        def f(x):
            unused = np.random.rand(2)
            return x * np.random.rand(3)
        """)
    forward, _ = load(bpgen.generate(source), "f")
    np.random.seed(1)
    out, _ = forward(np.ones(3))
    np.random.seed(1)
    np.random.rand(2)
    assert np.array_equal(out, np.random.rand(3))


def test_a_setting_read_from_a_dict():
    source = _src("""
        def norm(x, params):
            eps = params.get("eps", 1e-5)
            return x / np.sqrt(np.var(x, axis=0) + eps)
        """)
    code = check_gradients(
        source, [RNG.standard_normal((5, 3)), {"eps": 1e-3}], wrt=["x"]
    )
    assert 'eps = params.get("eps", 1e-05)' in code


def test_axis_from_a_module_constant():
    source = textwrap.dedent("""\
        import numpy as np

        AXIS = 1
        AXES = (0, 2)


        def f(x):
            s = np.sum(x * x, axis=AXIS, keepdims=True)
            return np.mean(np.exp(x) * s, axis=AXES)
        """)
    code = check_gradients(source, [RNG.standard_normal((2, 3, 4))])
    assert "AXIS = 1" in code and "np.sum(x * x, axis=AXIS, keepdims=True)" in code


def test_star_arguments_only_where_no_gradient_flows():
    error = _refused(_src("def f(x):\n    return np.maximum(*x)\n"))
    assert (error.lineno, error.col_offset) == (5, 22)
    assert "*args" in error.message


def test_float_of_a_size():
    source = _src("""
        def mean_all(x):
            N = float(x.shape[0])
            return np.sum(x) / N
        """)
    code = check_gradients(source, [RNG.standard_normal((3, 4))])
    assert "N = float(x.shape[0])" in code


def test_constant_arrays_at_module_level_and_local():
    source = textwrap.dedent("""\
        import numpy as np

        W = np.array([[1.0, 2.0], [3.0, 4.0]])


        def f(x):
            scale = np.array([0.5, -1.0])
            shift = np.asarray([1.0, 2.0])
            return x.dot(W) * scale + shift
        """)
    code = check_gradients(source, [RNG.standard_normal((3, 2))])
    assert "W = np.array([[1.0, 2.0], [3.0, 4.0]])" in code
    assert "scale = np.array([0.5, -1.0])" in code


def test_np_prod_of_a_shape_and_divmod():
    source = _src("""
        def f(x, w):
            D = np.prod(x.shape[1:])
            half, odd = divmod(D, 2)
            h = x.reshape(x.shape[0], D).dot(w)
            return h[:, :half] * (odd + 1)
        """)
    check_gradients(
        source, [RNG.standard_normal((2, 3, 3)), RNG.standard_normal((9, 4))]
    )


def test_np_array_of_a_differentiated_value_is_a_copy():
    source = _src("""
        def cast_sum(x):
            y = np.array(x)
            y[0] = 0.0
            return np.sum(np.array(x * y))
        """)
    code = check_gradients(source, [RNG.standard_normal(4)])
    assert "y = np.array(x)" in code


def test_asarray_of_a_differentiated_value_passes_it_through():
    source = _src("""
        def f(x, w):
            x = np.asarray(x)
            h = np.asarray(x * w)
            return h.sum()
        """)
    code = check_gradients(
        source, [RNG.standard_normal((2, 5)), RNG.standard_normal(5)]
    )
    # a parameter may be a list: made an array once; a computed value passes
    assert "= np.asarray(x)\n" in code and "np.asarray(x * w)" not in code


@pytest.mark.parametrize(
    "expression, name",
    [
        ("np.array([x, 2.0]) * x", "array"),
        ("np.asarray(x, dtype=float) * x", "asarray"),
        ("np.asarray([x, x]) * x", "asarray"),
        ("divmod(x, 2.0)[1] * x", "divmod"),
    ],
)
def test_calls_that_would_drop_a_gradient_are_refused(expression, name):
    error = _refused(_src(f"def f(x: float):\n    return {expression}\n"))
    assert (error.lineno, error.col_offset) == (5, 11), str(error)
    assert f"`{name}()` of a value being differentiated" in error.message


# -- lists and tuples of differentiated values (Tangent's ANF list tests) ----------

PACKS = _src("""
    def anf_list(a):
        b = [1, a * a, 2]
        return np.sum(b)


    def deep(x):
        b = [1, x[0] * x[1] * x[2], 3]
        return np.sum(b)


    def picked(a, b, c):
        x = a, b * 2.0, c
        return x[-1] * x[1] + np.stack(x)[0] + (a, c)[0]


    def kept(a, b):
        p = [a * b, a + b]
        q = p
        return np.stack(q) * 2.0
    """)


@pytest.mark.parametrize(
    "name, args",
    [
        ("anf_list", [0.7]),
        ("deep", [RNG.normal(size=3)]),
        ("picked", [RNG.normal(size=3), RNG.normal(size=3), RNG.normal(size=3)]),
        ("picked", [0.3, -1.2, 0.8]),
        ("kept", [RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))]),
    ],
)
def test_a_name_for_a_list_of_values(name, args) -> None:
    check_gradients(PACKS, args, name)


def test_literal_positions_pick_the_item_itself() -> None:
    code = bpgen.generate(PACKS, "picked")
    assert "[-1]" not in _function(code, "picked_backward")


def test_a_computed_position_in_a_list_of_values_is_refused() -> None:
    error = _refused(_src("def f(a, b, i):\n    x = a, b\n    return x[i]\n"))
    assert (error.lineno, error.col_offset) == (6, 11)
    assert "literal position" in error.hint
    error = _refused(_src("def f(a, b):\n    return (a, b * 2.0)[::-1][0]\n"))
    assert "computed position or a slice" in error.message


def test_items_of_a_list_of_values_are_not_assigned() -> None:
    error = _refused(_src("def f(a, b):\n    x = [a, b]\n    x[0] = b\n    return x\n"))
    assert "does not assign into its items" in error.message


def test_an_int_parameter_indexes_like_a_literal() -> None:
    """`t: int` (and a loop counter of range): a basic index, no np.add.at."""
    source = _src("def f(x, t: int):\n    return x[:, t, :] * 2.0\n")
    code = bpgen.generate(source, wrt=["x"])
    assert "dx[:, t, :] += " in code and "add.at" not in code
    check_gradients(source, [RNG.normal(size=(2, 3, 4)), 1], "f", ["x"])
    reassigned = _src("def f(x, t: int):\n    t = t + 1\n    return x[:, t] * 2.0\n")
    assert "add.at" in bpgen.generate(reassigned, wrt=["x"])  # not proven an int


@pytest.mark.parametrize("loop", [False, True])
def test_ellipsis_statement_is_a_placeholder(loop):
    # `...` where a body is sketched runs nothing, like `pass` and docstrings
    body = (
        "    s = 0.0\n    for i in range(n):\n        ...\n"
        "        s = s + np.sum(x * i)\n    return s\n"
        if loop
        else "    ...\n    return np.sum(x**2) + n\n"
    )
    source = "import numpy as np\n\n\ndef f(x, n):\n" + body
    check_gradients(
        source, [np.random.default_rng(0).standard_normal(3), 3], "f", ["x"]
    )
