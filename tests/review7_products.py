# ruff: noqa: E501  (programs written one per line, as the forward reads)
"""Products at every rank NumPy accepts, for the seventh review (test_review7).

Each entry is one program: `@`, `.dot`, `np.dot`, `np.matmul`, `np.inner`,
`np.tensordot`, `np.outer`, `np.linalg.solve`, `np.diag`, `np.trace` and the
other rules that test ranks, with operands of rank 0 to 3 (batch dimensions
broadcast for `@`), the same name twice, expressions, fan-out, `+=`, helpers,
loops, branches, parameters outside `wrt`, int/float32/0-d/list operands and
declared shapes. The generator's shared rank test (fastpath.py) must give
the gradients the per-gradient tests give.
"""

import numpy as np

HEAD = "import numpy as np\n\n\n"
R = np.random.default_rng(7)  # one draw order: the corpus is fixed


def arr(shape, dtype=None):
    if shape == "f":
        return float(R.standard_normal())
    if shape == "0d":
        return np.array(R.standard_normal())
    a = R.standard_normal(shape)
    return a.astype(dtype) if dtype else a


def case(name, body, args, wrt=None, shapes=None, auto=True):
    args = [arr(a) if isinstance(a, str) else a for a in args]
    return dict(
        name=name, src=HEAD + body, args=args, wrt=wrt, shapes=shapes, auto=auto
    )


DOT_SHAPES = {  # pairs for np.dot / .dot
    (0, 0): ("f", "f"),
    (0, 1): ("f", (3,)),
    (0, 2): ("f", (3, 2)),
    (0, 3): ("f", (4, 3, 2)),
    (1, 0): ((3,), "f"),
    (1, 1): ((3,), (3,)),
    (1, 2): ((3,), (3, 2)),
    (1, 3): ((3,), (4, 3, 2)),
    (2, 0): ((2, 3), "f"),
    (2, 1): ((2, 3), (3,)),
    (2, 2): ((2, 3), (3, 4)),
    (2, 3): ((2, 3), (4, 3, 2)),
    (3, 0): ((4, 2, 3), "f"),
    (3, 1): ((4, 2, 3), (3,)),
    (3, 2): ((4, 2, 3), (3, 2)),
    (3, 3): ((4, 2, 3), (2, 3, 5)),
}
MATMUL_SHAPES = [
    ((3,), (3,)),
    ((3,), (3, 2)),
    ((2, 3), (3,)),
    ((2, 3), (3, 4)),
    ((4, 2, 3), (3, 2)),
    ((2, 3), (4, 3, 2)),
    ((1, 2, 3), (5, 3, 2)),
    ((5, 2, 3), (1, 3, 2)),
    ((3,), (4, 3, 2)),
    ((4, 2, 3), (3,)),
    ((2, 1, 2, 3), (4, 3, 2)),
    ((4, 2, 3), (4, 3, 2)),
]


def programs():
    """Every program, with its arguments drawn afresh (the same each call)."""
    global R
    R = np.random.default_rng(7)
    out = []
    # 1. every product form x every rank
    forms = {
        "dotm": "A.dot(B)",
        "npdot": "np.dot(A, B)",
        "at": "A @ B",
        "npmatmul": "np.matmul(A, B)",
    }
    for fname, expr in forms.items():
        pairs = (
            list(DOT_SHAPES.values()) if fname in ("dotm", "npdot") else MATMUL_SHAPES
        )
        for sa, sb in pairs:
            if fname in ("dotm", "at", "npmatmul") and "f" in (sa, sb):
                if fname == "dotm" and sa != "f":
                    pass  # np array .dot(float) works
                else:
                    continue
            body = f"def f(A, B):\n    h = {expr}\n    return np.sum(np.tanh(h))\n"
            out.append(case(f"{fname}-{sa}-{sb}", body, [arr(sa), arr(sb)]))
            # 0-d output directly when vectors
            body2 = f"def f(A, B):\n    h = {expr}\n    return h * 1.5 + np.sum(A)\n"
            out.append(case(f"{fname}-plain-{sa}-{sb}", body2, [arr(sa), arr(sb)]))
    # 2. same name
    same = [
        ("x @ x", (3, 3)),
        ("x.dot(x.T)", (2, 3)),
        ("np.dot(x, x)", (3, 3)),
        ("x @ x.T", (2, 3)),
        ("x.T @ x", (2, 3)),
        ("np.matmul(x, x)", (2, 3, 3)),
        ("x @ x", (3,)),
        ("x.dot(x)", (3,)),
        ("np.dot(x, x)", (3,)),
        ("x.dot(x)", (3, 3)),
    ]
    for expr, s in same:
        body = f"def f(x):\n    h = {expr}\n    return np.sum(np.sin(h))\n"
        out.append(case(f"same-{expr}-{s}", body, [arr(s)]))
    # 3. expression operands
    exprs = [
        ("x.T @ W", (3, 2), (3, 4)),
        ("(x + 1) @ W", (2, 3), (3, 4)),
        ("np.tanh(x) @ W", (2, 3), (3, 4)),
        ("x @ W.T", (2, 3), (4, 3)),
        ("(x * 2).dot(W)", (2, 3), (3, 4)),
        ("np.dot(x.T, W)", (3, 2), (3, 4)),
        ("x.T.dot(W.T)", (3, 2), (4, 3)),
        ("(x + 1) @ W", (4, 2, 3), (3, 2)),
        ("(x + 1) @ W", (3,), (3, 2)),
        ("x @ (W + 1)", (2, 3), (3,)),
        ("x.reshape(2, -1) @ W", (2, 3), (3, 4)),
        ("x @ W[0]", (2, 3), (5, 3, 4)),
    ]
    for expr, sx, sw in exprs:
        body = f"def f(x, W):\n    h = {expr}\n    return np.sum(h**2)\n"
        out.append(case(f"expr-{expr}-{sx}-{sw}", body, [arr(sx), arr(sw)]))
    # 4. fan-out / accumulate
    fan = [
        (
            "def f(x, W):\n    h = x @ W\n    k = h @ W\n    return np.sum(np.tanh(k))\n",
            (2, 3),
            (3, 3),
        ),
        (
            "def f(x, W):\n    h = x.dot(W)\n    k = np.tanh(h).dot(W)\n    return np.sum(k * h)\n",
            (2, 3),
            (3, 3),
        ),
        (
            "def f(x, W):\n    h = x @ W\n    h += x @ W\n    return np.sum(h**2)\n",
            (2, 3),
            (3, 4),
        ),
        (
            "def f(x, W, V):\n    h = x @ W\n    h += x @ V\n    return np.sum(h**2)\n",
            (2, 3),
            (3, 4),
        ),
        (
            "def f(x, W):\n    h = x\n    h @= W\n    h @= W\n    return np.sum(np.tanh(h))\n",
            (2, 3),
            (3, 3),
        ),
        (
            "def f(x, W):\n    a = np.dot(x, W)\n    b = np.dot(a, W.T)\n    return np.sum(a) + np.sum(b * x)\n",
            (2, 3),
            (3, 4),
        ),
        (
            "def f(x, W):\n    a = x @ W\n    b = a.T @ a\n    return np.trace(b)\n",
            (2, 3),
            (3, 4),
        ),
        (
            "def f(x, W):\n    a = x @ W\n    b = a @ a.T\n    c = b @ x\n    return np.sum(c)\n",
            (2, 3),
            (3, 4),
        ),
        (
            "def f(x, W):\n    a = x @ W\n    b = W @ a\n    return np.sum(b)\n",
            (3, 3),
            (3, 3),
        ),
        (
            "def f(x, W):\n    a = x @ W\n    b = W @ a\n    return np.sum(b)\n",
            (4, 3, 3),
            (3, 3),
        ),
        (
            "def f(x, W):\n    a = x @ W\n    b = W @ a\n    return np.sum(b)\n",
            (3,),
            (3, 3),
        ),
    ]
    for body, sx, sw in fan:
        args = [arr(sx), arr(sw)] + ([arr(sw)] if "V" in body.split("\n")[0] else [])
        out.append(case(f"fan-{len(out)}-{sx}", body, args))
    # 5. helpers and loops
    helpers = [
        (
            "def lin(a, b):\n    return a @ b\n\n\ndef f(x, W):\n    h = lin(x, W)\n    return np.sum(np.tanh(h))\n",
            (2, 3),
            (3, 4),
        ),
        (
            "def lin(a, b):\n    return a.dot(b)\n\n\ndef f(x, W):\n    h = lin(x, W)\n    k = lin(h, W.T)\n    return np.sum(np.tanh(k))\n",
            (2, 3),
            (3, 4),
        ),
        (
            "def f(x, W):\n    h = x\n    for i in range(3):\n        h = np.tanh(h @ W)\n    return np.sum(h)\n",
            (2, 3),
            (3, 3),
        ),
        (
            "def f(x, W):\n    h = x\n    for i in range(3):\n        h = np.tanh(h @ W)\n    return np.sum(h)\n",
            (3,),
            (3, 3),
        ),
        (
            "def f(x, W):\n    h = x\n    for i in range(3):\n        h = np.tanh(h @ W)\n    return np.sum(h)\n",
            (4, 2, 3),
            (3, 3),
        ),
        (
            "def f(x, W):\n    h = x\n    for i in range(2):\n        h = np.tanh(np.dot(h, W))\n    return np.sum(h)\n",
            (2, 3),
            (3, 3),
        ),
        (
            "def f(x, W):\n    s = 0.0\n    for i in range(2):\n        s = s + np.sum(x.dot(W) * i)\n    return s\n",
            (2, 3),
            (3, 3),
        ),
        (
            "def f(x, W):\n    h = x\n    for i in range(2):\n        if i > 0:\n            h = h @ W\n        else:\n            h = np.tanh(h)\n    return np.sum(h)\n",
            (2, 3),
            (3, 3),
        ),
        (
            "def f(x, W):\n    acc = np.zeros(3)\n    for i in range(2):\n        acc = acc + x[i] @ W\n    return np.sum(acc**2)\n",
            (2, 3),
            (3, 3),
        ),
        (
            "def f(x, W):\n    h = x\n    i = 0\n    while i < 2:\n        h = np.tanh(h @ W)\n        i += 1\n    return np.sum(h)\n",
            (2, 3),
            (3, 3),
        ),
        (
            "def f(xs, W):\n    out = 0.0\n    for x in xs:\n        out = out + np.sum(np.tanh(x @ W))\n    return out\n",
            (4, 2, 3),
            (3, 3),
        ),
    ]
    for body, sx, sw in helpers:
        out.append(case(f"flow-{len(out)}-{sx}", body, [arr(sx), arr(sw)]))
    # 6. parameter outside wrt, dtypes, odd operands
    odd = [
        (
            "def f(x, W):\n    return np.sum(np.tanh(x @ W))\n",
            [arr((2, 3)), arr((3, 4))],
            ["x"],
        ),
        (
            "def f(x, W):\n    return np.sum(np.tanh(x @ W))\n",
            [arr((2, 3)), arr((3, 4))],
            ["W"],
        ),
        (
            "def f(x, W):\n    return np.sum(np.tanh(x.dot(W)))\n",
            [arr((3,)), arr((3, 4))],
            ["W"],
        ),
        (
            "def f(x, W):\n    return np.sum(np.tanh(np.dot(x, W)))\n",
            ["f", arr((3, 4))],
            ["W"],
        ),
        (
            "def f(x, W):\n    return np.sum(np.tanh(np.dot(x, W)))\n",
            ["0d", arr((3, 4))],
            None,
        ),
        (
            "def f(x, W):\n    return np.sum(np.tanh(np.dot(x, W)))\n",
            [arr((3, 4)), "0d"],
            None,
        ),
        (
            "def f(x, W):\n    return np.sum(np.tanh(x @ W))\n",
            [arr((2, 3)), np.arange(12).reshape(3, 4)],
            ["x"],
        ),
        (
            "def f(x, W):\n    return np.sum(np.tanh(x @ W))\n",
            [np.arange(6).reshape(2, 3), arr((3, 4))],
            ["W"],
        ),
        (
            "def f(x, W):\n    return np.sum(np.tanh(x @ W))\n",
            [arr((2, 3), np.float32), arr((3, 4), np.float32)],
            None,
        ),
        (
            "def f(x, W):\n    return np.sum(np.tanh(x.dot(W)))\n",
            [arr((2, 3), np.float32), arr((3, 4))],
            None,
        ),
        (
            "def f(x):\n    return np.sum(np.tanh(x @ [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))\n",
            [arr((2, 3))],
            None,
        ),
        (
            "def f(x):\n    return np.sum(np.tanh(np.dot(x, [1.0, 2.0, 3.0])))\n",
            [arr((2, 3))],
            None,
        ),
        (
            "def f(x):\n    return np.sum(np.tanh(np.dot([1.0, 2.0], x)))\n",
            [arr((2, 3))],
            None,
        ),
        (
            "def f(x):\n    return np.sum(np.tanh(np.dot(x, 2.0)))\n",
            [arr((2, 3))],
            None,
        ),
        (
            "def f(x):\n    return np.sum(np.tanh(np.dot(2.0, x)))\n",
            [arr((2, 3))],
            None,
        ),
        ("def f(x, y):\n    return x.dot(y)\n", [arr((3,)), arr((3,))], None),
        ("def f(x, y):\n    return np.dot(x, y)\n", [arr((3,)), arr((3,))], None),
        ("def f(x, y):\n    return x @ y\n", [arr((3,)), arr((3,))], None),
        ("def f(x, y):\n    return np.dot(x, y)\n", ["f", "f"], None),
        ("def f(x, y):\n    return np.dot(x, y)\n", ["0d", "0d"], None),
        ("def f(x, y):\n    return np.dot(x, y) * 2\n", ["0d", arr((3,))], None),
        ("def f(x, y):\n    return np.sum(np.dot(x, y))\n", [arr((3,)), "f"], None),
        (
            "def f(x, y):\n    return x.dot(y) + np.sum(x)\n",
            [arr((3,), np.float32), arr((3,), np.float32)],
            None,
        ),
        (
            "def f(x, y):\n    return np.trace(x @ y)\n",
            [arr((3, 2)), arr((2, 3))],
            None,
        ),
        (
            "def f(x, y):\n    return np.trace(x.dot(y))\n",
            [arr((3, 2)), arr((2, 3))],
            None,
        ),
    ]
    for i, (body, args, wrt) in enumerate(odd):
        out.append(case(f"odd-{i}", body, args, wrt))
    # 7. other rank-testing rules
    others = [
        ("def f(x):\n    return np.sum(np.diag(x) ** 2)\n", [arr((3,))]),
        ("def f(x):\n    return np.sum(np.diag(x) ** 2)\n", [arr((3, 3))]),
        ("def f(x):\n    return np.sum(np.diag(x, 1) ** 2)\n", [arr((3, 4))]),
        (
            "def f(x, W):\n    return np.sum(np.diag(x @ W) ** 2)\n",
            [arr((3, 2)), arr((2, 3))],
        ),
        (
            "def f(x, W):\n    return np.sum(np.diag(x @ W) ** 2)\n",
            [arr((3,)), arr((3, 3))],
        ),
        ("def f(x):\n    return np.trace(x)\n", [arr((3, 3))]),
        ("def f(x):\n    return np.sum(np.trace(x) ** 2)\n", [arr((2, 3, 3))]),
        (
            "def f(x, W):\n    return np.trace(x @ W @ x.T)\n",
            [arr((2, 3)), arr((3, 3))],
        ),
        (
            "def f(x, y):\n    return np.sum(np.outer(x, y) ** 2)\n",
            [arr((3,)), arr((4,))],
        ),
        (
            "def f(x, y):\n    return np.sum(np.outer(x, y) ** 2)\n",
            [arr((2, 3)), arr((4,))],
        ),
        (
            "def f(x, y):\n    return np.sum(np.outer(x @ y, y) ** 2)\n",
            [arr((2, 3)), arr((3,))],
        ),
        (
            "def f(a, b):\n    return np.sum(np.linalg.solve(a, b) ** 2)\n",
            [arr((3, 3)) + 3 * np.eye(3), arr((3,))],
        ),
        (
            "def f(a, b):\n    return np.sum(np.linalg.solve(a, b) ** 2)\n",
            [arr((3, 3)) + 3 * np.eye(3), arr((3, 2))],
        ),
        (
            "def f(a, b):\n    x = np.linalg.solve(a, b)\n    return np.sum(np.tanh(a @ x))\n",
            [arr((3, 3)) + 3 * np.eye(3), arr((3, 2))],
        ),
        (
            "def f(a, b):\n    return np.sum(np.linalg.solve(a, b) ** 2)\n",
            [arr((2, 3, 3)) + 3 * np.eye(3), arr((2, 3, 2))],
        ),
        (
            "def f(a, b):\n    return np.sum(np.inner(a, b) ** 2)\n",
            [arr((2, 3)), arr((4, 3))],
        ),
        (
            "def f(a, b):\n    return np.sum(np.inner(a, b) ** 2)\n",
            [arr((3,)), arr((4, 3))],
        ),
        ("def f(a, b):\n    return np.inner(a, b)\n", [arr((3,)), arr((3,))]),
        (
            "def f(a, b):\n    return np.sum(np.inner(a, b) ** 2)\n",
            [arr((2, 2, 3)), arr((3,))],
        ),
        (
            "def f(a, b):\n    return np.sum(np.tensordot(a, b, axes=1) ** 2)\n",
            [arr((2, 3)), arr((3, 4))],
        ),
        (
            "def f(a, b):\n    return np.sum(np.tensordot(a, b, axes=2) ** 2)\n",
            [arr((2, 3, 4)), arr((3, 4, 2))],
        ),
        (
            "def f(a, b):\n    return np.sum(np.tensordot(a, b, axes=([1], [0])) ** 2)\n",
            [arr((2, 3)), arr((3, 4))],
        ),
        (
            "def f(a, b):\n    return np.tensordot(a, b, axes=1)\n",
            [arr((3,)), arr((3,))],
        ),
        ("def f(a, b):\n    return np.vdot(a, b)\n", [arr((2, 3)), arr((2, 3))]),
        (
            "def f(a, b):\n    return np.sum(np.kron(a, b) ** 2)\n",
            [arr((2, 3)), arr((2, 2))],
        ),
        (
            "def f(a, b):\n    return np.sum(np.hstack([a, b]) ** 2)\n",
            [arr((2, 3)), arr((2, 2))],
        ),
        (
            "def f(a, b):\n    return np.sum(np.hstack([a, b]) ** 2)\n",
            [arr((3,)), arr((2,))],
        ),
        (
            "def f(a, b):\n    return np.sum(np.column_stack([a, b]) ** 2)\n",
            [arr((3,)), arr((3, 2))],
        ),
        (
            "def f(a, b):\n    return np.sum(np.einsum('ij,jk->ik', a, b) ** 2)\n",
            [arr((2, 3)), arr((3, 4))],
        ),
        (
            "def f(a, w):\n    return np.sum(np.average(a, axis=1, weights=w) ** 2)\n",
            [arr((2, 3)), np.abs(arr((3,))) + 0.5],
        ),
        (
            "def f(a, w):\n    return np.sum(np.average(a, axis=0, weights=w) ** 2)\n",
            [arr((2, 3)), np.abs(arr((2, 3))) + 0.5],
        ),
        ("def f(a):\n    return np.sum(np.tile(a, (2, 1)) ** 2)\n", [arr((3,))]),
        (
            "def f(a, b):\n    return np.sum(np.tanh(a @ b) @ b.T)\n",
            [arr((2, 3)), arr((3, 4))],
        ),
        (
            "def f(a, idx):\n    return np.sum(np.take(a, idx, axis=0) ** 2)\n",
            [arr((4, 3)), np.array([0, 2, 2])],
        ),
        (
            "def f(a, b):\n    c = a @ b\n    return np.sum(np.diagonal(c) * np.trace(c))\n",
            [arr((3, 2)), arr((2, 3))],
        ),
    ]
    for i, (body, args) in enumerate(others):
        out.append(case(f"other-{i}", body, args))
    # 8. branches on parameters
    branches = [
        (
            "def f(x, W, s):\n    if s > 0:\n        h = x @ W\n    else:\n        h = x @ W.T\n    return np.sum(np.tanh(h))\n",
            [arr((2, 3)), arr((3, 3)), 1.0],
        ),
        (
            "def f(x, W, s):\n    if s > 0:\n        h = x @ W\n    else:\n        h = x @ W.T\n    return np.sum(np.tanh(h))\n",
            [arr((2, 3)), arr((3, 3)), -1.0],
        ),
        (
            "def f(x, W, s):\n    h = x.dot(W) if s > 0 else np.dot(W, x)\n    return np.sum(np.tanh(h))\n",
            [arr((3, 3)), arr((3, 3)), -1.0],
        ),
        (
            "def f(x, W, s):\n    h = x @ W\n    if s > 0:\n        h = h @ W\n    return np.sum(np.tanh(h))\n",
            [arr((3,)), arr((3, 3)), 1.0],
        ),
        (
            "def f(x, W, s):\n    h = x @ W\n    if s > 0:\n        h = h @ W\n    return np.sum(np.tanh(h))\n",
            [arr((4, 2, 3)), arr((3, 3)), 1.0],
        ),
        (
            "def f(x, W):\n    if x.ndim == 2:\n        h = x @ W\n    else:\n        h = x * 2.0\n    return np.sum(np.tanh(h))\n",
            [arr((2, 3)), arr((3, 3))],
        ),
        (
            "def f(x, W):\n    if x.ndim == 2:\n        h = x @ W\n    else:\n        h = x * 2.0\n    return np.sum(np.tanh(h))\n",
            [arr((3,)), arr((3, 3))],
        ),
        (
            "def f(x, W):\n    if np.ndim(W) == 0:\n        h = x * W\n    else:\n        h = np.dot(x, W)\n    return np.sum(np.tanh(h))\n",
            [arr((2, 3)), 2.0],
        ),
        (
            "def f(x, W):\n    if np.ndim(W) == 0:\n        h = x * W\n    else:\n        h = np.dot(x, W)\n    return np.sum(np.tanh(h))\n",
            [arr((2, 3)), arr((3, 2))],
        ),
    ]
    for i, (body, args) in enumerate(branches):
        out.append(case(f"branch-{i}", body, args))
    # 9. broadcast gradients at the product
    bro = [
        (
            "def f(x, W, B):\n    h = x @ W\n    return np.sum(np.tanh(h + B))\n",
            [arr((2, 3)), arr((3, 4)), arr((5, 2, 4))],
        ),
        (
            "def f(x, W, B):\n    h = x @ W\n    return np.sum(np.tanh(h * B))\n",
            [arr((2, 3)), arr((3, 4)), arr((5, 1, 4))],
        ),
        (
            "def f(x, W, B):\n    h = x.dot(W)\n    k = h + B\n    return np.sum(k @ W.T)\n",
            [arr((2, 3)), arr((3, 3)), arr((4, 2, 3))],
        ),
        (
            "def f(x, W, B):\n    h = np.dot(x, W)\n    return np.sum(np.maximum(h, B))\n",
            [arr((2, 3)), arr((3, 4)), arr((3, 2, 4))],
        ),
        (
            "def f(x, W):\n    h = x @ W\n    return np.sum(np.broadcast_to(h, (3, 2, 4)) ** 2)\n",
            [arr((2, 3)), arr((3, 4))],
        ),
        (
            "def f(x, W):\n    h = x @ W\n    return np.sum(np.where(h > 0, h, np.zeros((3, 2, 4))))\n",
            [arr((2, 3)), arr((3, 4))],
        ),
        (
            "def f(x, W, b):\n    h = x @ W + b\n    return np.sum(np.tanh(h))\n",
            [arr((2, 3)), arr((3, 4)), arr((4,))],
        ),
        (
            "def f(x, W, b):\n    h = (x + b) @ W\n    return np.sum(np.tanh(h))\n",
            [arr((2, 3)), arr((3, 4)), arr((3,))],
        ),
        (
            "def f(x, W, b):\n    h = (x + b) @ W\n    return np.sum(np.tanh(h))\n",
            [arr((2, 3)), arr((3, 4)), arr((4, 2, 3))],
        ),
        (
            "def f(x, W):\n    h = x @ W\n    return np.sum(h[None] * np.ones((3, 1, 1)))\n",
            [arr((2, 3)), arr((3, 4))],
        ),
    ]
    for i, (body, args) in enumerate(bro):
        out.append(case(f"bro-{i}", body, args))
    # 10. declared shapes mixed with undeclared
    decl = [
        (
            "def f(x, W):\n    return np.sum(np.tanh(x @ W))\n",
            [arr((2, 3)), arr((3, 4))],
            {"x": "N D"},
        ),
        (
            "def f(x, W):\n    return np.sum(np.tanh(x @ W))\n",
            [arr((2, 3)), arr((3, 4))],
            {"W": "D M"},
        ),
        (
            "def f(x, W):\n    return np.sum(np.tanh(x @ W))\n",
            [arr((4, 2, 3)), arr((3, 4))],
            {"W": "D M"},
        ),
        (
            "def f(x, W):\n    return np.sum(np.tanh(x @ W))\n",
            [arr((2, 3)), arr((4, 3, 4))],
            {"x": "N D"},
        ),
        (
            "def f(x, W):\n    return np.sum(np.tanh(x.dot(W)))\n",
            [arr((3,)), arr((3, 4))],
            {"x": "D"},
        ),
        (
            "def f(x, W):\n    return np.sum(np.tanh(np.dot(x, W)))\n",
            [arr((2, 3)), 2.0],
            {"x": "N D"},
        ),
        (
            "def f(x, W, b):\n    return np.sum(np.tanh(x @ W + b))\n",
            [arr((2, 3)), arr((3, 4)), arr((4,))],
            {"b": "M"},
        ),
        (
            "def f(x, W, V):\n    h = x @ W\n    return np.sum(np.tanh(h @ V))\n",
            [arr((2, 3)), arr((3, 4)), arr((4, 2))],
            {"W": "D M"},
        ),
        (
            "def f(x, W, V):\n    h = x @ W\n    return np.sum(np.tanh(h @ V))\n",
            [arr((2, 3)), arr((3, 4)), arr((4,))],
            {"x": "N D", "W": "D M"},
        ),
    ]
    for i, (body, args, shp) in enumerate(decl):
        out.append(case(f"decl-{i}", body, args, shapes=shp))
    # 11. reassignment of a tested name
    reas = [
        (
            "def f(x, W):\n    W = W * 2\n    h = x @ W\n    W = np.tanh(W)\n    return np.sum(h) + np.sum(x @ W)\n",
            [arr((2, 3)), arr((3, 4))],
        ),
        (
            "def f(x, W):\n    x = x @ W\n    x = x @ W.T\n    return np.sum(np.tanh(x))\n",
            [arr((2, 3)), arr((3, 4))],
        ),
        (
            "def f(x, W):\n    x = x @ W\n    x = x @ W.T\n    return np.sum(np.tanh(x))\n",
            [arr((3,)), arr((3, 4))],
        ),
        (
            "def f(x, W):\n    h = x @ W\n    h = h.sum(axis=0) @ W.T\n    return np.sum(np.tanh(h))\n",
            [arr((2, 3)), arr((3, 4))],
        ),
        (
            "def f(x, W):\n    h = x @ W\n    h = h.sum(axis=0) @ W.T\n    return np.sum(np.tanh(h))\n",
            [arr((5, 2, 3)), arr((3, 4))],
        ),
        (
            "def f(x, W):\n    h = x @ W\n    g = h @ W.T\n    return np.sum(g * x)\n",
            [arr((2, 3)), arr((3, 4))],
        ),
    ]
    for i, (body, args) in enumerate(reas):
        out.append(case(f"reas-{i}", body, args))
    L = [
        (
            "def f(x):\n    return np.sum(np.tanh(x * [1.0, 2.0, 3.0]))\n",
            [arr((2, 3))],
            None,
        ),
        (
            "def f(x, W):\n    return np.sum(np.tanh(x * W))\n",
            [arr((2, 3)), arr((2, 3))],
            ["x"],
        ),
    ]
    for i, (b, a, w) in enumerate(L):
        out.append(case(f"extra-{i}", b, a, w))
    L2 = [
        (
            "def f(x, W):\n    return np.sum(np.tanh(x * W))\n",
            [arr((2, 3)), np.arange(6).reshape(2, 3)],
            ["x"],
        ),
        (
            "def f(x, W):\n    return np.sum(np.tanh(x + W))\n",
            [arr((2, 3)), np.arange(6).reshape(2, 3)],
            ["x"],
        ),
    ]
    for i, (b, a, w) in enumerate(L2):
        out.append(case(f"extra2-{i}", b, a, w))
    L3 = [
        (
            "def f(x, W, n):\n    h = x\n    s = 0.0\n    for i in range(n):\n        s = s + np.sum(h)\n        h = h @ W\n    return s\n",
            [arr((2, 3)), arr((3, 3)), 3],
            ["x", "W"],
        ),
        (
            "def f(x, W, n):\n    h = x\n    s = 0.0\n    for i in range(n):\n        s = s + np.sum(h)\n        h = np.dot(h, W)\n    return s\n",
            [arr((2, 3)), arr((3, 3)), 3],
            ["x", "W"],
        ),
        (
            "def f(x, W, n):\n    h = x\n    s = 0.0\n    for i in range(n):\n        s = s + np.sum(h)\n        h = h.dot(W)\n    return s\n",
            [arr((2, 3)), arr((3, 3)), 3],
            ["x", "W"],
        ),
        (
            "def f(x, W, n):\n    h = x\n    for i in range(n):\n        h = np.dot(h, W)\n    return np.sum(h)\n",
            [arr((2, 3)), arr((3, 3)), 3],
            ["x", "W"],
        ),
        (
            "def f(x, W, n):\n    h = x\n    for i in range(n):\n        h = np.dot(h, W)\n    return np.sum(h)\n",
            [arr((2, 3)), arr((3, 3)), 0],
            ["x", "W"],
        ),
        (
            "def f(x, W, n):\n    h = x\n    for i in range(n):\n        h = np.tanh(h @ W)\n    return np.sum(h)\n",
            [arr((3,)), arr((2, 3, 3)), 3],
            ["x", "W"],
        ),
        (
            "def f(x, W, n):\n    h = x\n    for i in range(n):\n        h = np.tanh(h @ W)\n    return np.sum(h)\n",
            [arr((2, 3)), arr((3, 3)), 3],
            ["x", "W"],
        ),
        (
            "def f(x, W, n):\n    h = x\n    i = 0\n    while np.sum(h) < 100 and i < n:\n        h = h @ W + 1.0\n        i += 1\n    return np.sum(h)\n",
            [arr((2, 3)), arr((3, 3)), 3],
            ["x", "W"],
        ),
        (
            "def step(h, W):\n    return np.tanh(h @ W)\n\n\ndef f(x, W, n):\n    h = x\n    for i in range(n):\n        h = step(h, W)\n    return np.sum(h)\n",
            [arr((2, 3)), arr((3, 3)), 3],
            ["x", "W"],
        ),
        (
            "def lin(a, b):\n    return np.dot(a, b)\n\n\ndef f(x, W):\n    return np.sum(lin(x, W)) + np.sum(lin(W, W))\n",
            [arr((3, 3)), arr((3, 3))],
            None,
        ),
        (
            "def lin(a, b):\n    return a.dot(b)\n\n\ndef f(x, W):\n    return lin(x, W)\n",
            [arr((3,)), arr((3,))],
            None,
        ),
        (
            "def lin(a, b):\n    return a @ b\n\n\ndef f(x, W):\n    s = 0.0\n    for r in x:\n        s = s + lin(r, W)\n    return np.sum(s)\n",
            [arr((4, 3)), arr((3, 2))],
            None,
        ),
        (
            "def f(x, W, n):\n    outs = []\n    for i in range(n):\n        outs.append(x[i] @ W)\n    return np.sum(np.stack(outs) ** 2)\n",
            [arr((3, 3)), arr((3, 2)), 3],
            ["x", "W"],
        ),
        (
            "def f(x, W, n):\n    outs = []\n    for i in range(n):\n        outs.append(x @ W[i])\n    return np.sum(np.stack(outs) ** 2)\n",
            [arr((2, 3)), arr((3, 3, 2)), 3],
            ["x", "W"],
        ),
    ]
    for i, (b, a, w) in enumerate(L3):
        out.append(case(f"extra3-{i}", b, a, w))
    L4 = [
        (
            "def f(x, W, V):\n    return np.sum(np.tanh(x @ W @ V))\n",
            [arr((2, 3)), arr((3, 4)), arr((4, 2))],
            None,
        ),
        (
            "def f(x, W, V):\n    return np.sum(np.tanh((x @ W).T @ V))\n",
            [arr((2, 3)), arr((3, 4)), arr((2, 5))],
            None,
        ),
        (
            "def f(x, w):\n    W = w.reshape(3, 4)\n    return np.sum(np.tanh(x @ W))\n",
            [arr((2, 3)), arr((12,))],
            None,
        ),
        (
            "def f(x, W):\n    return np.sum(np.tanh(x[0] @ W))\n",
            [arr((2, 3, 3)), arr((3, 4))],
            None,
        ),
        (
            "def f(x, W):\n    return np.sum(np.tanh(x[0] @ W))\n",
            [arr((2, 3)), arr((3, 4))],
            None,
        ),
        ("def f(x):\n    return np.sum(np.tanh(x @ np.eye(3)))\n", [arr((2, 3))], None),
        (
            "def f(x, W):\n    return np.sum(np.tanh(np.dot(x, W.T)))\n",
            [arr((2, 3)), arr((3,))],
            None,
        ),
        (
            "def f(x, W, V):\n    return np.sum(np.tanh(x.dot(W) + x.dot(V)))\n",
            [arr((2, 3)), arr((3, 4)), arr((3, 4))],
            None,
        ),
        (
            "def f(x, y):\n    return x.dot(y) * 2.0\n",
            [arr((3,), np.float32), arr((3,), np.float32)],
            ["y"],
        ),
        ("def f(x, y):\n    return x.dot(y)\n", [arr("0d"), arr("0d")], None),
        ("def f(x, y):\n    return np.sum(x.dot(y))\n", [arr("0d"), arr((3, 2))], None),
        ("def f(x, y):\n    return np.sum(x.dot(y))\n", [arr((3, 2)), arr("0d")], None),
        (
            "def f(x, y):\n    return np.sum(np.dot(x, y) ** 2)\n",
            [arr((3, 2)), arr("0d")],
            None,
        ),
        (
            "def f(x, y):\n    return np.sum(np.matmul(x, y) ** 2)\n",
            [arr((1, 2, 3)), arr((5, 3, 2))],
            None,
        ),
        (
            "def f(x, y):\n    return np.sum(np.matmul(x, y) ** 2)\n",
            [arr((2, 3)), arr((5, 3, 2))],
            None,
        ),
        (
            "def f(x, y):\n    z = x @ y\n    z2 = z @ y\n    return np.sum(z2 ** 2)\n",
            [arr((4, 2, 3)), arr((3, 3))],
            None,
        ),
        (
            "def f(x, y):\n    z = x @ y\n    z2 = y @ z\n    return np.sum(z2 ** 2)\n",
            [arr((3, 3)), arr((4, 3, 3))],
            None,
        ),
        (
            "def f(x, y, s):\n    if s > 0:\n        z = x.dot(y)\n        z = z.dot(y)\n    else:\n        z = np.dot(y, x)\n    return np.sum(z ** 2)\n",
            [arr((3, 3)), arr((3, 3)), 1.0],
            None,
        ),
        (
            "def f(x, y, s):\n    if s > 0:\n        z = x.dot(y)\n        z = z.dot(y)\n    else:\n        z = np.dot(y, x)\n    return np.sum(z ** 2)\n",
            [arr((3,)), arr((3, 3)), -1.0],
            None,
        ),
        (
            "def f(x, y):\n    z = x @ y\n    w = z @ z.T\n    return np.trace(w) + np.sum(np.diag(z))\n",
            [arr((3, 2)), arr((2, 3))],
            None,
        ),
        (
            "def f(x, y):\n    return np.sum(np.outer(x @ y, y) ** 2)\n",
            [arr((3,)), arr((3, 3))],
            None,
        ),
        (
            "def f(a, b):\n    x = np.linalg.solve(a, b)\n    return np.sum(x @ b.T)\n",
            [arr((3, 3)) + 3 * np.eye(3), arr((3, 2))],
            None,
        ),
        (
            "def f(a, b):\n    x = np.linalg.solve(a, b)\n    return np.sum(np.tanh(x))\n",
            [arr((3, 3)) + 3 * np.eye(3), arr((3,))],
            None,
        ),
        (
            "def f(x, W):\n    h = x @ W\n    h = h @ W\n    h = h @ W\n    return np.sum(h * h)\n",
            [arr((2, 3)), arr((3, 3))],
            None,
        ),
        (
            "def f(x, W):\n    h = x @ W\n    h = h @ W\n    h = h @ W\n    return np.sum(h * h)\n",
            [arr((3,)), arr((3, 3))],
            None,
        ),
        (
            "def f(x, W, b):\n    h = np.maximum(x @ W + b, 0.0)\n    return np.sum(h @ W.T)\n",
            [arr((2, 3)), arr((3, 3)), arr((3,))],
            None,
        ),
        (
            "def f(x, W, b):\n    h = np.maximum(x.dot(W) + b, 0.0)\n    out = h.dot(W.T)\n    return np.sum(out * x)\n",
            [arr((2, 3)), arr((3, 3)), arr((3,))],
            None,
        ),
        (
            "def f(x, W):\n    h = np.dot(x, W)\n    return np.sum(h[:, 0])\n",
            [arr((2, 3)), arr((3, 4))],
            None,
        ),
        (
            "def f(x, W):\n    h = x @ W\n    return np.max(h) + np.min(h)\n",
            [arr((2, 3)), arr((3, 4))],
            None,
        ),
        (
            "def f(x, W):\n    h = x @ W\n    return np.linalg.norm(h)\n",
            [arr((2, 3)), arr((3, 4))],
            None,
        ),
        (
            "def f(x, W):\n    h = x.dot(W)\n    e = np.exp(h - np.max(h, axis=1, keepdims=True))\n    p = e / np.sum(e, axis=1, keepdims=True)\n    return -np.sum(np.log(p[:, 0]))\n",
            [arr((2, 3)), arr((3, 4))],
            None,
        ),
        (
            "def f(x, W):\n    h = x @ W\n    return np.sum(h.T.reshape(-1) * np.arange(8))\n",
            [arr((2, 3)), arr((3, 4))],
            None,
        ),
    ]
    for i, (b, a, w) in enumerate(L4):
        out.append(case(f"extra4-{i}", b, a, w))
    return out
