"""Circuit diagrams (`--graph`, `bpgen.circuit`): read back from the SVG itself."""

from __future__ import annotations

import importlib.util
import math
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import bpgen
from bpgen.cli import main
from bpgen.testing import assert_text_snapshot

ROOT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> tuple[dict[str, dict], set[tuple[str, str]], ET.Element]:
    """Nodes by name (attributes plus shown texts and box), and the edges."""
    root = ET.fromstring(svg)
    nodes = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "node":
            texts = {t.get("class"): t.text for t in g.iter(f"{SVG}text")}
            rect = g.find(f"{SVG}rect")
            assert rect is not None
            box = tuple(float(rect.get(k)) for k in ("x", "y", "width", "height"))
            nodes[g.get("data-name")] = {**g.attrib, **texts, "box": box}
    edges = {
        (g.get("data-from"), g.get("data-to"))
        for g in root.iter(f"{SVG}g")
        if g.get("class") == "edge"
    }
    return nodes, edges, root


def sigmoid(v: float) -> float:
    return 1.0 / (1 + math.exp(-v))


def seed_values(x: float, y: float) -> tuple[dict[str, float], dict[str, float]]:
    """The seed's staged forward and its hand-written backward, at (x, y)."""
    v = {"x": x, "y": y}
    v["sigy"] = sigmoid(y)
    v["num"] = x + v["sigy"]
    v["sigx"] = sigmoid(x)
    v["xpy"] = x + y
    v["xpysqr"] = v["xpy"] ** 2
    v["den"] = v["sigx"] + v["xpysqr"]
    v["invden"] = 1.0 / v["den"]
    v["f"] = v["num"] * v["invden"]
    d = {"f": 1.0}
    d["num"] = v["invden"]
    d["invden"] = v["num"]
    d["den"] = -1.0 / v["den"] ** 2 * d["invden"]
    d["sigx"] = d["xpysqr"] = d["den"]
    d["xpy"] = 2 * v["xpy"] * d["xpysqr"]
    d["sigy"] = d["num"]
    d["x"] = d["num"] + (1 - v["sigx"]) * v["sigx"] * d["sigx"] + d["xpy"]
    d["y"] = (1 - v["sigy"]) * v["sigy"] * d["sigy"] + d["xpy"]
    return v, d


def test_staged_example_nodes_edges_values_gradients(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = [str(ROOT / "samples/staged.py"), "--graph", "out/f.svg", "--at", "x=3,y=-4"]
    assert main(argv) == 0
    assert capsys.readouterr().err == "bpgen: wrote out/f.svg\n"
    nodes, edges, _ = parse((tmp_path / "out/f.svg").read_text())
    values, grads = seed_values(3.0, -4.0)
    assert set(nodes) == set(values)
    assert edges == {
        ("y", "sigy"), ("x", "num"), ("sigy", "num"), ("x", "sigx"), ("x", "xpy"),
        ("y", "xpy"), ("xpy", "xpysqr"), ("sigx", "den"), ("xpysqr", "den"),
        ("den", "invden"), ("num", "f"), ("invden", "f"),
    }  # fmt: skip
    for name, node in nodes.items():
        assert float(node["data-value"]) == pytest.approx(values[name], rel=1e-12)
        assert float(node["data-grad"]) == pytest.approx(grads[name], rel=1e-12)
        assert node["value"] == f"{values[name]:.4g}".replace("-", "−")
        shown = f"{grads[name]:.4g}".replace("-", "−")
        assert node["grad"] == shown, name
    assert nodes["sigy"]["data-gate"] == "sigmoid" and nodes["num"]["data-gate"] == "+"
    assert nodes["f"].get("data-output") == "true"
    assert nodes["f"]["value"] == "1.546"
    # the inputs' gradients are the central differences of f itself
    h = 1e-6
    f = lambda x, y: seed_values(x, y)[0]["f"]  # noqa: E731
    assert float(nodes["x"]["data-grad"]) == pytest.approx(
        (f(3 + h, -4) - f(3 - h, -4)) / (2 * h), rel=1e-7
    )
    assert float(nodes["y"]["data-grad"]) == pytest.approx(
        (f(3, -4 + h) - f(3, -4 - h)) / (2 * h), rel=1e-7
    )


def test_boxes_do_not_overlap_and_fit(tmp_path: Path) -> None:
    result = _load(tmp_path, (ROOT / "samples/two_layer_net.py").read_text())
    args = _two_layer_args()
    drawn = bpgen.circuit(result.two_layer_loss, **args)
    nodes, edges, root = parse(drawn._repr_svg_())
    width, height = float(root.get("width")), float(root.get("height"))
    boxes = [n["box"] for n in nodes.values()]
    for i, (x, y, w, h) in enumerate(boxes):
        assert x >= 0 and x + w <= width and y >= 0 and y + h <= height
        for x2, y2, w2, h2 in boxes[i + 1 :]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y
    assert {n for edge in edges for n in edge} <= set(nodes)


def _two_layer_args() -> dict:
    rng = np.random.default_rng(0)
    return {
        "W1": rng.standard_normal((4, 5)),
        "b1": rng.standard_normal(5),
        "W2": rng.standard_normal((5, 3)),
        "b2": rng.standard_normal(3),
        "X": rng.standard_normal((2, 4)),
        "y": np.array([0, 2]),
        "reg": 0.1,
    }


_count = iter(range(10**6))


def _load(directory: Path, text: str):
    path = directory / f"circuitmod{next(_count)}.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def test_notebook_object_with_arrays(tmp_path: Path) -> None:
    module = _load(tmp_path, (ROOT / "samples/affine.py").read_text())
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), np.zeros(4)
    drawn = bpgen.circuit(module.affine, x=x, w=w, b=b)
    assert drawn._repr_svg_().startswith("<svg ")
    assert drawn._repr_html_() == f'<div class="bpgen-circuit">{drawn.svg}</div>'
    nodes, edges, _ = parse(drawn.svg)
    assert nodes["w"]["value"].startswith("[3×4] μ ")
    out = x.dot(w) + b
    mean = float(out.mean())
    assert nodes["out"]["value"] == (
        f"[2×4] μ {mean:.4g} in [{out.min():.4g}, {out.max():.4g}]".replace("-", "−")
    )
    # dout is all ones: dw = x2d.T @ ones
    dw = x.T.dot(np.ones((2, 4)))
    assert nodes["w"]["grad"].startswith(
        f"[3×4] μ {float(dw.mean()):.4g}".replace("-", "−")
    )
    assert ("w", "t1") in edges or any(t == "out" for s, t in edges if s == "b")


def test_the_notebook_object_draws_what_the_command_draws(tmp_path: Path) -> None:
    module = _load(tmp_path, (ROOT / "samples/staged.py").read_text())
    drawn = bpgen.circuit(module.f, x=3, y=-4)
    out = tmp_path / "cli.svg"
    assert (
        main(
            [
                str(ROOT / "samples/staged.py"),
                "--graph",
                str(out),
                "--at",
                "x=3,y=-4",
                "-q",
            ]
        )
        == 0
    )
    assert drawn.svg == out.read_text()
    drawn.save(tmp_path / "saved.svg")
    assert (tmp_path / "saved.svg").read_text() == drawn.svg


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (["staged.py", "--graph", "g.svg", "--at", "x=3"], 2, "no value for y"),
        (
            ["staged.py", "--graph", "g.svg", "--at", "x=3,y=1,z=2"],
            2,
            "z not a parameter",
        ),
        (
            ["staged.py", "--graph", "g.svg", "--at", "x=3,y=oops"],
            2,
            "y=oops is not a number",
        ),
        (["staged.py", "--graph", "g.svg"], 2, "--graph needs the point"),
        (["staged.py", "--at", "x=3"], 2, "--at gives the point for --graph"),
        (["gates.py", "--graph", "g.svg", "--at", "x=1"], 2, "pick one with -f NAME"),
        (
            ["gates.py", "-f", "reciprocal", "--graph", "g.svg", "--at", "x=0"],
            1,
            "fails at x=0",
        ),
    ],
)
def test_graph_usage_errors(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
    argv: list[str],
    code: int,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("staged.py", "gates.py"):
        (tmp_path / name).write_text((ROOT / "samples" / name).read_text())
    assert main(argv) == code
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "g.svg").exists()


def test_readme_diagram_is_current() -> None:
    """docs/staged.svg, shown in the README, is what --graph draws now.

    Refresh it with BPGEN_UPDATE=1 (or pytest --bpgen-update)."""
    from bpgen.diagram import build

    source = (ROOT / "samples/staged.py").read_text()
    drawn = build(source, "f", {"x": 3, "y": -4}, filename="samples/staged.py")
    assert_text_snapshot(drawn.svg, ROOT / "docs/staged.svg")
    readme = (ROOT / "README.md").read_text()
    assert "![" in readme and "(docs/staged.svg)" in readme
    assert "bpgen samples/staged.py --graph docs/staged.svg --at x=3,y=-4" in readme
