"""`@bpgen.differentiable`: behaviour, the on-disk cache, tracebacks, errors."""

from __future__ import annotations

import importlib.util
import itertools
import inspect
import linecache
import math
import os
import pickle
import subprocess
import sys
import textwrap
import traceback
from pathlib import Path
from types import ModuleType

import pytest

import bpgen
from bpgen import _cache
from bpgen.errors import (
    BpgenError,
    SourceUnavailableError,
    UnsupportedError,
    UsageError,
)

MODULE = '''\
"""A user's module: imports, a constant, two decorated functions."""

import math

import bpgen

SCALE = {scale}


@bpgen.differentiable
def f(x, y):
    sigy = 1.0 / (1 + math.exp(-y))
    num = x + sigy
    return num * SCALE / (1 + x * x)


@bpgen.differentiable(wrt=["x"])
def g(x, y):
    return math.tanh(x * y)


def plain(x):
    return x + 1
'''

_names = itertools.count()


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("BPGEN_CACHE_DIR", str(directory))
    monkeypatch.delenv("BPGEN_NO_CACHE", raising=False)
    return directory


@pytest.fixture
def generations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the functions the generator runs for (it must not on a hit)."""
    calls: list[str] = []
    module = sys.modules["bpgen.generate"]
    real = module.generate

    def counting(source, function=None, *args, **kwargs):
        calls.append(function)
        return real(source, function, *args, **kwargs)

    monkeypatch.setattr(module, "generate", counting)
    return calls


def write(directory: Path, text: str, stem: str = "usermod") -> Path:
    path = directory / f"{stem}.py"
    path.write_text(text)
    return path


def load(path: Path) -> ModuleType:
    """Import `path` as a fresh module (a new name each time)."""
    name = f"{path.stem}_{next(_names)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def entries(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.py")) if directory.exists() else []


# -- what the decorator gives ---------------------------------------------------


def test_forward_backward_source(tmp_path: Path, cache_dir: Path) -> None:
    path = write(tmp_path, MODULE.format(scale=2.0))
    module = load(path)
    f, g = module.f, module.g

    assert f.source == bpgen.generate(path.read_text(), "f", filename=str(path))
    assert g.source == bpgen.generate(path.read_text(), "g", ["x"], filename=str(path))
    out, cache = f.forward(0.3, -0.7)
    assert out == f(0.3, -0.7)
    dx, dy = f.backward(1.0, cache)
    h = 1e-6
    assert dx == pytest.approx(
        (f(0.3 + h, -0.7) - f(0.3 - h, -0.7)) / (2 * h), rel=1e-6
    )
    assert dy == pytest.approx(
        (f(0.3, -0.7 + h) - f(0.3, -0.7 - h)) / (2 * h), rel=1e-6
    )

    out, cache = g.forward(0.5, 2.0)
    assert out == g(0.5, 2.0)
    grads = g.backward(1.0, cache)
    assert len(grads) == 1  # wrt=["x"]
    assert float(grads[0]) == pytest.approx(2.0 * (1 - out**2))


def test_the_function_itself_is_unchanged(tmp_path: Path, cache_dir: Path) -> None:
    module = load(write(tmp_path, MODULE.format(scale=2.0)))
    assert module.f.__name__ == "f"
    assert module.f.__code__.co_filename.endswith("usermod.py")
    sigy = 1.0 / (1 + math.exp(-2.0))
    assert module.f(1.0, 2.0) == (1.0 + sigy) * 2.0 / (1 + 1.0 * 1.0)
    with pytest.raises(TypeError):
        module.f(1.0)  # same signature, same errors
    assert not hasattr(module.plain, "forward")


def test_generated_functions_pickle(tmp_path: Path, cache_dir: Path) -> None:
    module = load(write(tmp_path, MODULE.format(scale=2.0)))
    assert module.f.forward.__qualname__ == "f.forward"
    assert pickle.loads(pickle.dumps(module.f.forward)) is module.f.forward
    assert pickle.loads(pickle.dumps(module.f.backward)) is module.f.backward


def test_options_reach_the_generator(tmp_path: Path, cache_dir: Path) -> None:
    text = MODULE.format(scale=2.0).replace(
        "@bpgen.differentiable\ndef f",
        "@bpgen.differentiable(options=bpgen.Options(fusion=False))\ndef f",
    )
    path = write(tmp_path, text)
    module = load(path)
    assert module.f.source == bpgen.generate(
        text, "f", filename=str(path), options=bpgen.Options(fusion=False)
    )


# -- the cache ---------------------------------------------------------------------


def test_cold_then_warm_in_process(
    tmp_path: Path, cache_dir: Path, generations: list[str]
) -> None:
    path = write(tmp_path, MODULE.format(scale=2.0))
    cold = load(path)
    assert sorted(generations) == ["f", "g"]
    assert len(entries(cache_dir)) == 2
    assert len(list(cache_dir.glob("*.code"))) == 2

    generations.clear()
    warm = load(path)
    assert generations == []  # nothing regenerated
    assert warm.f.source == cold.f.source
    assert warm.f.forward(0.1, 0.2)[0] == cold.f.forward(0.1, 0.2)[0]


def test_warm_import_in_a_fresh_process_skips_libcst_and_black(
    tmp_path: Path, cache_dir: Path
) -> None:
    write(tmp_path, MODULE.format(scale=2.0))
    probe = textwrap.dedent("""
        import sys
        import usermod
        heavy = sorted({m.split(".")[0] for m in sys.modules} & {"libcst", "black"})
        out, cache = usermod.f.forward(0.3, -0.7)
        print(heavy, usermod.f.backward(1.0, cache))
        """)
    env = dict(os.environ, PYTHONPATH=str(tmp_path), BPGEN_CACHE_DIR=str(cache_dir))
    runs = [
        subprocess.run(
            [sys.executable, "-c", probe],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp_path,
        ).stdout
        for _ in range(2)
    ]
    cold, warm = (run.split("] ", 1) for run in runs)
    assert cold[0] == "['black', 'libcst'"
    assert warm[0] == "["  # neither libcst nor black
    assert warm[1] == cold[1]  # same gradients


def test_import_bpgen_is_light() -> None:
    probe = (
        "import sys, bpgen, bpgen.testing\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'libcst', 'black', 'numpy', 'pytest'}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_a_changed_constant_is_not_served_stale(
    tmp_path: Path, cache_dir: Path, generations: list[str]
) -> None:
    path = write(tmp_path, MODULE.format(scale=2.0))
    before = load(path)
    path.write_text(MODULE.format(scale=3.0))
    generations.clear()
    after = load(path)
    assert sorted(generations) == ["f", "g"]
    assert "SCALE = 3.0" in after.f.source
    assert after.f.forward(1.0, 1.0)[0] == pytest.approx(1.5 * before.f(1.0, 1.0))
    _, cache = after.f.forward(1.0, 1.0)
    assert after.f.backward(1.0, cache)[1] == pytest.approx(
        1.5 * before.f.backward(1.0, before.f.forward(1.0, 1.0)[1])[1]
    )


def test_wrt_options_and_version_are_part_of_the_key() -> None:
    base = ("source", "file.py", "f", repr(None), repr(bpgen.Options()))
    keys = {
        _cache.key(*base),
        _cache.key("source", "file.py", "f", repr(["x"]), repr(bpgen.Options())),
        _cache.key(
            "source", "file.py", "f", repr(None), repr(bpgen.Options(dce=False))
        ),
        _cache.key("source", "other.py", "f", repr(None), repr(bpgen.Options())),
        _cache.key("source", "file.py", "g", repr(None), repr(bpgen.Options())),
    }
    assert len(keys) == 5
    assert _cache.key(*base) == _cache.key(*base)


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: b"\xff\xfe" + data[2:], id="not-utf8"),
        pytest.param(lambda data: data.replace(b"dx", b"dz", 1), id="edited"),
        pytest.param(lambda data: data[:-1] + b"0\n", id="bad-digest"),
    ],
)
def test_a_damaged_entry_is_regenerated(
    tmp_path: Path, cache_dir: Path, generations: list[str], damage
) -> None:
    path = write(tmp_path, MODULE.format(scale=2.0))
    good = load(path)
    entry = next(p for p in entries(cache_dir) if p.name.startswith("f-"))
    entry.write_bytes(damage(entry.read_bytes()))
    generations.clear()
    again = load(path)
    assert generations == ["f"]  # g's entry was fine
    assert again.f.source == good.f.source
    assert again.f.backward(1.0, again.f.forward(0.2, 0.4)[1]) == good.f.backward(
        1.0, good.f.forward(0.2, 0.4)[1]
    )
    generations.clear()
    load(path)
    assert generations == []  # and the entry was repaired


def test_a_damaged_code_file_is_recompiled(
    tmp_path: Path, cache_dir: Path, generations: list[str]
) -> None:
    path = write(tmp_path, MODULE.format(scale=2.0))
    good = load(path)
    for code in cache_dir.glob("*.code"):
        data = code.read_bytes()
        code.write_bytes(data[: len(data) // 2])
    generations.clear()
    again = load(path)
    assert generations == []  # the text entry is fine: only recompiled
    assert again.f.forward(0.2, 0.4) == good.f.forward(0.2, 0.4)
    for code in cache_dir.glob("*.code"):  # rewritten whole
        entry = code.with_name(code.name.split(".")[0] + ".py")
        assert _cache.load_code(code, entry) is not None


def test_an_unwritable_cache_means_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, generations: list[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("BPGEN_CACHE_DIR", str(blocker / "cache"))  # cannot exist
    path = write(tmp_path, MODULE.format(scale=2.0))
    module = load(path)
    _, cache = module.f.forward(0.3, 0.4)
    assert module.f.backward(1.0, cache)
    general = inspect.unwrap(module.f.backward)
    assert general.__code__.co_filename.startswith("<bpgen: f() from ")
    generations.clear()
    load(path)
    assert sorted(generations) == ["f", "g"]  # nothing cached, nothing broken


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user"
)
def test_a_read_only_cache_directory(
    tmp_path: Path, cache_dir: Path, generations: list[str]
) -> None:
    cache_dir.mkdir()
    cache_dir.chmod(0o555)
    try:
        module = load(write(tmp_path, MODULE.format(scale=2.0)))
        assert module.f.forward(0.3, 0.4)
        assert entries(cache_dir) == []
    finally:
        cache_dir.chmod(0o755)


def test_a_read_only_filled_cache_is_still_read(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, generations
) -> None:
    path = write(tmp_path, MODULE.format(scale=2.0))
    load(path)

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Read-only file system")

    monkeypatch.setattr(sys.modules["bpgen._files"], "atomic_write", read_only)
    for code in cache_dir.glob("*.code"):
        code.unlink()  # even the compiled code cannot be written back
    generations.clear()
    module = load(path)
    assert generations == []
    assert module.f.forward(0.3, 0.4)


def test_no_cache_switch(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BPGEN_NO_CACHE", "1")
    module = load(write(tmp_path, MODULE.format(scale=2.0)))
    assert module.f.forward(0.3, 0.4)
    assert not cache_dir.exists()


def test_default_cache_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("BPGEN_CACHE_DIR", raising=False)
    monkeypatch.delenv("BPGEN_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    directory = _cache.directory()
    assert directory is not None and directory.name == "bpgen"
    if sys.platform.startswith("linux"):
        assert directory == tmp_path / "xdg" / "bpgen"
    monkeypatch.setenv("BPGEN_CACHE_DIR", "~/somewhere")
    assert _cache.directory() == Path.home() / "somewhere"
    monkeypatch.setenv("BPGEN_NO_CACHE", "1")
    assert _cache.directory() is None


def test_concurrent_cold_imports(tmp_path: Path, cache_dir: Path) -> None:
    write(tmp_path, MODULE.format(scale=2.0))
    probe = (
        "import usermod\n"
        "out, cache = usermod.f.forward(0.3, -0.7)\n"
        "print(usermod.f.backward(1.0, cache), usermod.g.source.count('\\n'))"
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path), BPGEN_CACHE_DIR=str(cache_dir))
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", probe],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], [r[1] for r in results]
    assert len({out for out, _ in results}) == 1
    assert [p.name for p in cache_dir.iterdir() if p.name.endswith(".tmp")] == []
    for entry in entries(cache_dir):
        key = entry.stem.rsplit("-", 1)[1]
        assert _cache.load(entry, key) is not None


def test_readers_never_see_half_an_entry(tmp_path: Path) -> None:
    """Writers replacing one entry while readers read it: whole or nothing."""
    import threading

    path = tmp_path / "f-key.py"
    texts = [f"# version {i}\n" + "x = 1\n" * 2000 for i in range(4)]
    seen: set[str | None] = set()
    stop = threading.Event()

    def writer(text: str) -> None:
        while not stop.is_set():
            assert _cache.store(path, "key", text)

    def reader() -> None:
        for _ in range(300):
            seen.add(_cache.load(path, "key"))

    writers = [threading.Thread(target=writer, args=(t,)) for t in texts]
    readers = [threading.Thread(target=reader) for _ in range(4)]
    for thread in writers + readers:
        thread.start()
    for thread in readers:
        thread.join()
    stop.set()
    for thread in writers:
        thread.join()
    assert seen <= {None, *texts}
    assert seen & set(texts)
    assert [p.name for p in tmp_path.iterdir()] == ["f-key.py"]


# -- tracebacks and debuggers -----------------------------------------------------


@pytest.mark.parametrize("cached", [True, False])
def test_generated_lines_show_in_tracebacks(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, cached: bool
) -> None:
    if not cached:
        monkeypatch.setenv("BPGEN_NO_CACHE", "1")
    module = load(write(tmp_path, MODULE.format(scale=2.0)))
    with pytest.raises(TypeError) as info:
        module.f.backward(1.0, None)  # cannot unpack the cache
    text = "".join(traceback.format_exception(info.value))
    unpack = next(
        line.strip() for line in module.f.source.splitlines() if "= cache" in line
    )
    assert unpack in text
    assert "in f_backward" in text
    filename = inspect.unwrap(module.f.backward).__code__.co_filename
    lines = linecache.getlines(filename)
    assert "".join(lines).startswith(module.f.source)
    if cached:
        assert Path(filename).read_text().startswith(module.f.source)


# -- errors ------------------------------------------------------------------------


def test_errors_point_into_the_users_file(tmp_path: Path, cache_dir: Path) -> None:
    text = MODULE.format(scale=2.0) + textwrap.dedent("""

        @bpgen.differentiable
        def bad(x):
            y = x * 2
            return x.foo(y)
        """)
    path = write(tmp_path, text)
    lineno = text.splitlines().index("    return x.foo(y)") + 1
    with pytest.raises(UnsupportedError) as info:
        load(path)
    error = info.value
    assert error.filename == str(path)
    assert error.lineno == lineno
    assert error.col_offset == 13
    assert str(error).startswith(f"{path}:{lineno}:14: error: ")
    assert "    return x.foo(y)" in str(error)
    assert not any("reverse.py" in str(entry.path) for entry in info.traceback)


def test_source_unavailable_from_exec() -> None:
    namespace: dict = {}
    exec("def f(x):\n    return x * x\n", namespace)  # noqa: S102
    with pytest.raises(SourceUnavailableError) as info:
        bpgen.differentiable(namespace["f"])
    message = str(info.value)
    assert message.startswith("<string>:1:1: error: cannot read the source of f()")
    assert "interactive session, exec() or eval()" in message
    assert "help: define f() in a .py file" in message
    assert isinstance(info.value, BpgenError)


def test_source_unavailable_in_a_repl() -> None:
    done = subprocess.run(
        [sys.executable, "-i", "-q"],
        input=(
            "import bpgen\n"
            "def f(x):\n    return x * x\n\n"
            "try:\n    bpgen.differentiable(f)\n"
            "except bpgen.errors.SourceUnavailableError as e:\n    print('OK', e)\n\n"
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert "OK <stdin>:" in done.stdout
    assert "cannot read the source of f()" in done.stdout


def test_nested_functions_and_methods_are_refused(
    tmp_path: Path, cache_dir: Path
) -> None:
    text = textwrap.dedent("""\
        import bpgen


        def outer():
            @bpgen.differentiable
            def inner(x):
                return x * x

            return inner
        """)
    module = load(write(tmp_path, text))
    with pytest.raises(UnsupportedError) as info:
        module.outer()
    assert info.value.lineno == 5
    assert "nested function" in str(info.value)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: bpgen.differentiable(wrt="x"),
            "wrt must be a list of parameter names",
        ),
        (lambda: bpgen.differentiable(["x"]), "pass the parameter names as a keyword"),
        (lambda: bpgen.differentiable(options={"fusion": False}), "bpgen.Options"),
        (lambda: bpgen.differentiable(len), "plain functions, not builtin_function"),
        (lambda: bpgen.differentiable(wrt=["x"])(int), "plain functions, not type"),
        (lambda: bpgen.differentiable(_wrapped()), "is wrapped by another decorator"),
    ],
)
def test_misuse_raises_usage_errors(call, message: str) -> None:
    with pytest.raises(UsageError, match=message.replace("(", r"\(")):
        call()


def _wrapped():
    import functools

    def f(x):
        return x

    @functools.wraps(f)
    def wrapper(*args):
        return f(*args)

    return wrapper


def test_internal_errors_become_bpgen_errors(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args, **kwargs):
        raise KeyError("oops")

    monkeypatch.setattr(sys.modules["bpgen.generate"], "generate", broken)
    path = write(tmp_path, MODULE.format(scale=2.0))
    with pytest.raises(BpgenError) as info:
        load(path)
    assert "internal error while generating f(): KeyError" in str(info.value)
    assert str(info.value).startswith(f"{path}:10:1: error:")
    assert isinstance(info.value.__cause__, KeyError)
