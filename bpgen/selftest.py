"""`bpgen FILE --emit-test OUT_test.py`: a pytest file that checks gradients.

The emitted test keeps checking the generated backward pass after bpgen is
gone from the picture: once the generated module is checked in and perhaps
edited by hand, CI still compares each `NAME_backward` with central
differences of the user's own `NAME` (float64, every element). It needs only
NumPy and pytest, plus bpgen itself when there is no `-o` module to load.

Inputs follow one documented convention (README, "An emitted gradient
check"), written out in the test where the user can edit them:

- a parameter annotated `float` or `int`, or any parameter of a function
  whose generated code uses no NumPy: a float drawn from U(0.2, 0.9)
  (`int`: the integer 3);
- a parameter with a jaxtyping-style shape (`x: Float[np.ndarray, "N D"]`):
  an array of that shape, each named dimension a distinct size from 3 up
  (N=3, D=4, ...), so a transposed gradient cannot pass;
- a parameter used inside an index (`scores[np.arange(n), y]`): 3 integer
  labels from {0, 1, 2}; its gradient is checked to be zero;
- any other parameter: a 3x3 array drawn from U(0.2, 0.9).

Values in (0.2, 0.9) keep log, sqrt, arcsin and divisions defined; each test
seeds its own generator, so the file is deterministic.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError

MARKER = "# Written by bpgen "
HEADER = (
    MARKER + "{version} --emit-test from {filename}: gradient checks. "
    "Edit the inputs freely."
)
LOW, HIGH = 0.2, 0.9
DEFAULT_SHAPE = (3, 3)
_DOC = re.compile(r"Gradients of (\w+) with respect to (.*)\.")


@dataclass
class Checked:
    """One function to check: its name, `wrt`, and how to build each input."""

    name: str
    wrt: list[str]
    inputs: dict[str, str]  # parameter -> Python expression over `rng`


def emit(
    source: str,
    generated: str,
    *,
    filename: str,
    test_path: Path,
    source_path: Path,
    module_path: Path | None,
    command: str,
) -> str:
    """The text of the test file for `generated` (bpgen's module of `source`)."""
    from . import __version__

    checked = plan(source, generated, filename)
    lines = [
        HEADER.format(version=__version__, filename=filename),
        f"# Rewrite it with: {command}",
        '"""Each generated NAME_backward against central differences of NAME.',
        "",
        "Inputs: floats for float parameters (and for functions whose generated",
        "code uses no NumPy), arrays of the declared shape, else 3x3 arrays; values",
        "drawn from U(0.2, 0.9). Change them below when your function needs others.",
        '"""',
        "",
        "import copy",
        "import importlib.util",
        "from pathlib import Path",
        "",
        "import numpy as np",
        "",
        "HERE = Path(__file__).resolve().parent",
        f"FORWARD = HERE / {_relative(source_path, test_path)!r}",
    ]
    if module_path is not None:
        lines.append(f"GENERATED = HERE / {_relative(module_path, test_path)!r}")
    lines += ["", "", _HELPERS.strip("\n"), "", ""]
    if module_path is None:
        lines += [_GENERATE.strip("\n"), "", ""]
    lines.append('forward = _load(FORWARD, "bpgen_emitted_forward")')
    if module_path is not None:
        lines.append('generated = _load(GENERATED, "bpgen_emitted_generated")')
    else:
        wrts = {c.name: c.wrt for c in checked}
        lines.append(f"generated = _generate(FORWARD, {wrts!r})")
    for item in checked:
        lines += ["", ""]
        lines.append(f"def test_{item.name}_backward():")
        lines.append(f"    rng = np.random.default_rng({_seed(item.name)})")
        lines.append("    args = {")
        for param, expression in item.inputs.items():
            lines.append(f"        {param!r}: {expression},")
        lines.append("    }")
        lines.append(f"    check(forward.{item.name}, generated, {item.name!r}, args,")
        lines.append(f"          {item.wrt!r})")
    return _black("\n".join(lines) + "\n")


def plan(source: str, generated: str, filename: str) -> list[Checked]:
    """What to check, read from the generated module (its functions, `wrt`,
    whether each touches NumPy) and from the source's annotations."""
    module = ast.parse(generated)
    numpy_names = {"_unbroadcast"}
    for node in module.body:
        if isinstance(node, ast.Import):
            numpy_names |= {a.asname or a.name for a in node.names if a.name == "numpy"}
    defs = {n.name: n for n in module.body if isinstance(n, ast.FunctionDef)}
    user = {n.name: n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}
    checked = []
    for name, node in defs.items():
        if not name.endswith("_backward"):
            continue
        match = _DOC.fullmatch(ast.get_docstring(node) or "")
        base = name[: -len("_backward")]
        if match is None or match.group(1) != base or base not in user:
            continue
        wrt = [w.strip() for w in match.group(2).split(",")]
        uses_numpy = any(
            isinstance(n, ast.Name) and n.id in numpy_names
            for part in (node, defs.get(f"{base}_forward"))
            if part is not None
            for n in ast.walk(part)
        )
        inputs = _inputs(user[base], not uses_numpy, set(wrt))
        checked.append(Checked(base, wrt, inputs))
    if not checked:
        raise UsageError(
            "found no generated function to check", filename=filename
        )  # pragma: no cover -- bpgen always writes NAME_backward
    return checked


def _inputs(function: ast.FunctionDef, floats: bool, wrt: set[str]) -> dict[str, str]:
    """An input per parameter; one outside `wrt` with a default (a flag
    `train=True`, `mode="train"`) keeps its default."""
    sizes: dict[str, int] = {}
    out = {}
    indices = {
        n.id
        for sub in ast.walk(function)
        if isinstance(sub, ast.Subscript)
        for n in ast.walk(sub.slice)
        if isinstance(n, ast.Name)
    }
    counts, numbers = _counts_and_numbers(function)
    arguments = [*function.args.args, *function.args.kwonlyargs]
    positional = function.args.args
    defaulted = {
        a.arg for a in positional[len(positional) - len(function.args.defaults) :]
    }
    defaulted |= {
        a.arg
        for a, d in zip(
            function.args.kwonlyargs, function.args.kw_defaults, strict=True
        )
        if d is not None
    }
    for arg in arguments:
        if arg.arg in defaulted and arg.arg not in wrt:
            continue
        annotation = arg.annotation
        kind = annotation.id if isinstance(annotation, ast.Name) else None
        dims = _declared(annotation)
        if dims is None and kind is None and arg.arg in counts:
            kind = "int"  # `for i in range(k)`
        elif dims is None and kind is None and arg.arg in numbers:
            kind = "float"  # `math.exp(a)`
        if kind == "int":
            out[arg.arg] = "3"
        elif arg.arg in indices and dims is None and kind != "float":
            out[arg.arg] = f"rng.integers(0, 3, size=({DEFAULT_SHAPE[0]},))"
        elif kind == "float" or (floats and dims is None):
            out[arg.arg] = f"float(rng.uniform({LOW}, {HIGH}))"
        else:
            if dims is None:
                shape: tuple[int, ...] = DEFAULT_SHAPE
            else:
                shape = tuple(
                    int(d) if d.isdigit() else sizes.setdefault(d, 3 + len(sizes))
                    for d in dims
                )
            out[arg.arg] = f"rng.uniform({LOW}, {HIGH}, size={shape!r})"
    return out


def _counts_and_numbers(function: ast.FunctionDef) -> tuple[set[str], set[str]]:
    """Names passed as they are to `range(...)` (ints) and to `math.f(...)`
    (numbers, never 3x3 arrays)."""
    counts, numbers = set(), set()
    for call in ast.walk(function):
        if not isinstance(call, ast.Call):
            continue
        names = {a.id for a in call.args if isinstance(a, ast.Name)}
        func = call.func
        if isinstance(func, ast.Name) and func.id == "range":
            counts |= names
        elif (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id == "math"
        ):
            numbers |= names
    return counts, numbers


def _declared(annotation: ast.expr | None) -> list[str] | None:
    """The dimensions of `Float[np.ndarray, "N D"]` (jaxtyping's spelling)."""
    if not isinstance(annotation, ast.Subscript):
        return None
    index = annotation.slice
    if not isinstance(index, ast.Tuple) or len(index.elts) != 2:
        return None
    spec = index.elts[1]
    if not isinstance(spec, ast.Constant) or not isinstance(spec.value, str):
        return None
    dims = spec.value.split()
    if not all(d.isidentifier() or d.isdigit() for d in dims):
        return None
    return dims


def _seed(name: str) -> int:
    """A seed per function that does not depend on PYTHONHASHSEED."""
    return sum(ord(c) * 31**i for i, c in enumerate(name)) % 2**32


def _relative(path: Path, test_path: Path) -> str:
    absolute = os.path.abspath(path)
    return Path(os.path.relpath(absolute, os.path.abspath(test_path.parent))).as_posix()


def _black(text: str) -> str:
    from .emit import black_format

    return black_format(text)


def written_by_bpgen(data: bytes) -> bool:
    """Whether a file starts with the header `emit` writes."""
    return data.startswith(MARKER.encode())


_GENERATE = '''
def _generate(path, wrts):
    """bpgen's module for each function, generated now (no -o was given)."""
    import types

    import bpgen

    source = path.read_text(encoding="utf-8")
    namespaces = {}
    for name, wrt in wrts.items():
        namespace = {}
        exec(bpgen.generate(source, name, wrt, filename=path.name), namespace)
        namespaces.update(namespace)
    return types.SimpleNamespace(**namespaces)
'''

_HELPERS = '''
def _load(path, name):
    """Import a module from its file."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _like(value, rng):
    """A random incoming gradient shaped like one output."""
    if isinstance(value, tuple):
        return tuple(_like(v, rng) for v in value)
    if np.ndim(value) == 0 and not isinstance(value, np.ndarray):
        return float(rng.standard_normal())
    return rng.standard_normal(np.shape(value))


def _dot(a, b):
    if isinstance(a, tuple):
        return sum(_dot(x, y) for x, y in zip(a, b))
    return float(np.sum(np.asarray(a, dtype=np.float64) * b))


def check(f, generated, name, args, wrt, h=1e-6, rtol=1e-5, atol=1e-7):
    """NAME_backward(dout) equals the central differences of <dout, NAME(args)>."""
    out, cache = getattr(generated, name + "_forward")(**copy.deepcopy(args))
    want = f(**copy.deepcopy(args))
    for got, expected in zip(out if isinstance(out, tuple) else (out,),
                             want if isinstance(want, tuple) else (want,)):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    dout = _like(out, np.random.default_rng(1))
    grads = getattr(generated, name + "_backward")(dout, cache)
    assert len(grads) == len(wrt), f"{name}_backward returned {len(grads)} gradients"
    for param, grad in zip(wrt, grads):
        value = args[param]
        assert np.shape(grad) == np.shape(value), (
            f"d{param} has shape {np.shape(grad)}, {param} {np.shape(value)}"
        )
        if np.asarray(value).dtype.kind in "iub":  # labels, masks: no gradient
            assert not np.any(grad), f"d{param} of {name}() is not zero"
            continue
        numeric = np.zeros(np.shape(value))
        for index in np.ndindex(np.shape(value)):
            loss = []
            for step in (h, -h):
                moved = copy.deepcopy(args)
                if np.ndim(value) == 0 and not isinstance(value, np.ndarray):
                    moved[param] = value + step
                else:
                    moved[param] = np.array(value, dtype=np.float64)
                    moved[param][index] += step
                loss.append(_dot(dout, f(**moved)))
            numeric[index] = (loss[0] - loss[1]) / (2 * h)
        np.testing.assert_allclose(
            grad, numeric, rtol=rtol, atol=atol, err_msg=f"d{param} of {name}()"
        )
'''
