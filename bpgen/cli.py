"""The `bpgen` command: print, write, check or diff generated backward code.

    bpgen FILE... [-f NAME ...] [--wrt NAME,NAME] [-o OUT] [--check] [--diff]
    bpgen FILE --emit-test OUT_test.py      a pytest file checking the gradients
    bpgen FILE -f NAME --graph OUT.svg --at x=3,y=-4   a circuit diagram
    bpgen --gates [WORD]                    the supported gates
    bpgen --cache-info | --clear-cache      the decorator's cache

Exit status: 0 success; 1 an input was refused or `--check` found drift;
2 usage error (bad option, unreadable file, unwritable output).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .errors import BpgenError, FunctionNotFoundError, InternalError, UsageError
from .options import Options

OK, REFUSED, USAGE = 0, 1, 2

DESCRIPTION = """\
Write the backward pass of each top-level function in FILE (or of the ones
named with -f): a standalone module defining NAME_forward and NAME_backward.
It goes to stdout, or to OUT with -o (written atomically, never over an
input file, and only over a file bpgen generated unless --force)."""

EXAMPLES = """\
examples:
  bpgen model.py                         print the generated module
  bpgen model.py -f loss --wrt w,b       only loss(); gradients for w and b
  bpgen model.py -o model_grad.py        write it to model_grad.py
  bpgen layer.py --shape x=N,D --shape W=D,M --shape b=M
                                         declared shapes: exact, hand-style sums
  bpgen model.py -o model_grad.py --check
                                         CI: exit 1 if model_grad.py is stale
  bpgen model.py -o model_grad.py --diff show what would change, write nothing
  bpgen src/*.py -o gen/                 several inputs: gen/<name>.py each
  bpgen src/*.py -o '{dir}/{stem}_grad.py'
                                         several inputs: next to each input
  bpgen model.py -o model_grad.py --emit-test test_model_grad.py
                                         also a pytest file checking its gradients
  bpgen model.py -f f --graph f.svg --at x=3,y=-4
                                         the circuit of f() with values, gradients
  bpgen --gates norm                     the supported gates matching "norm"
  bpgen --cache-info                     where the decorator's cache is, its size

With several FILEs, -o must be a directory (an existing one, or a path ending
in "/") or a template using {stem} (file name without .py), {name} (file
name) and {dir} (the input's directory). --wrt and -f apply to every FILE.
Missing parent directories of OUT are created. Files bpgen generated (their
first line says so) are outputs, never inputs: with several FILEs they are
skipped (-v says which), so the same glob can run again; named alone, they
are refused.

exit status:
  0  success (with --check: every output is up to date)
  1  an input was refused (the message says where and why), or --check
     found an output stale or missing
  2  usage error: bad option, unreadable input, unwritable output
  --diff alone exits 0 even when it shows changes (black's convention);
  --diff --check shows the diff and exits 1 on drift. --gates WORD exits 1
  when no gate matches; --graph exits 1 when the function fails at --at.
"""


class _Usage(Exception):
    """A usage error found after argument parsing: exit 2 with usage."""


@dataclass
class Job:
    """One input file and where its generated module goes."""

    input: str  # as given on the command line ("-" is stdin)
    filename: str  # as it appears in the header and in error messages
    output: Path | None  # None: stdout


def build_parser(prog: str = "bpgen") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        usage="%(prog)s FILE... [-f NAME ...] [--wrt NAME,NAME] "
        "[--shape NAME=DIMS ...]\n"
        "       [-o OUT] [--check] [--diff]\n"
        "       %(prog)s FILE --emit-test OUT_test.py [-o OUT]\n"
        "       %(prog)s FILE -f NAME --graph OUT.svg --at NAME=VALUE,...\n"
        "       %(prog)s --gates [WORD] | --cache-info | --clear-cache",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "files", nargs="*", metavar="FILE", help="Python module(s) to read; - is stdin"
    )
    parser.add_argument(
        "-f",
        "--function",
        dest="functions",
        action="append",
        metavar="NAME",
        help="differentiate only NAME (repeat, or NAME,NAME; default: every "
        "top-level function)",
    )
    parser.add_argument(
        "--wrt",
        metavar="NAME,NAME",
        help="parameters to differentiate, in the order the gradients are "
        "returned (default: every parameter)",
    )
    parser.add_argument(
        "--shape",
        dest="shapes",
        action="append",
        metavar="NAME=DIMS",
        help="declare a parameter's shape, e.g. x=N,D (repeat; NAME= for a "
        "scalar): the backward sums exactly the broadcast axes",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="write here instead of stdout (a file, DIR/, or a {stem} template)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if OUT is stale or missing",
    )
    parser.add_argument(
        "--diff",
        action="store_true",
        help="write nothing; print a unified diff of what would change in OUT",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="overwrite OUT even if bpgen did not generate it",
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="report only errors and drift"
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also say which inputs were skipped (files bpgen generated)",
    )
    parser.add_argument(
        "--traceback",
        action="store_true",
        help="show Python tracebacks of internal errors (for bug reports)",
    )
    parser.add_argument("--version", action="version", version=f"bpgen {__version__}")
    _add_tools(parser)
    group = parser.add_argument_group("optimisations (all on by default)")
    for switch in Options.switches():
        group.add_argument(
            f"--no-{switch.replace('_', '-')}",
            dest=f"no_{switch}",
            action="store_true",
            help=Options.help(switch),
        )
    for choice in Options.choices():
        group.add_argument(
            f"--{choice.replace('_', '-')}",
            dest=choice,
            action="store_true",
            help=Options.help(choice),
        )
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "bpgen") -> int:
    """Run the command line; returns the exit status (never raises)."""
    parser = build_parser(prog)
    try:
        args = parser.parse_intermixed_args(argv)
    except SystemExit as exit:  # --help, --version, or a usage error
        return exit.code if isinstance(exit.code, int) else USAGE
    try:
        return _run(args, prog)
    except _Usage as error:
        parser.print_usage(sys.stderr)
        print(f"{prog}: error: {error}", file=sys.stderr)
        return USAGE
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `bpgen model.py | head`: the reader left; stay quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return REFUSED


def _add_tools(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("tools")
    group.add_argument(
        "--gates",
        nargs="?",
        const="",
        metavar="WORD",
        help="print the supported gates (only those mentioning WORD) and exit",
    )
    group.add_argument(
        "--emit-test",
        metavar="OUT_test.py",
        help="write a pytest file that checks each function's backward against "
        "central differences (with -o OUT it tests OUT as written on disk)",
    )
    group.add_argument(
        "--graph",
        metavar="OUT.svg",
        help="draw the staged circuit of one function (-f NAME) as an SVG, "
        "with forward values and gradients at the point given by --at",
    )
    group.add_argument(
        "--at",
        metavar="NAME=VALUE,...",
        help="the point --graph evaluates at, e.g. x=3,y=-4",
    )
    group.add_argument(
        "--cache-info",
        action="store_true",
        help="print where the decorator's cache is, its entries and size",
    )
    group.add_argument(
        "--clear-cache",
        action="store_true",
        help="delete every entry of the decorator's cache",
    )


def _run(args: argparse.Namespace, prog: str) -> int:
    standalone = [
        flag
        for flag, on in (
            ("--gates", args.gates is not None),
            ("--cache-info", args.cache_info),
            ("--clear-cache", args.clear_cache),
        )
        if on
    ]
    if standalone:
        if args.files or len(standalone) > 1:
            raise _Usage(f"{standalone[0]} takes no FILE and no other tool")
        return _tool(standalone[0], args)
    if not args.files:
        raise _Usage("the following arguments are required: FILE")
    functions = _functions(args.functions)
    wrt = _wrt(args.wrt)
    shapes = _shapes(args.shapes)
    options = Options(
        **{s: not getattr(args, f"no_{s}") for s in Options.switches()},
        **{c: getattr(args, c) for c in Options.choices()},
    )
    output = None if args.output in (None, "-") else args.output
    if (args.check or args.diff) and output is None:
        flag = "--check" if args.check else "--diff"
        raise _Usage(f"{flag} compares with a file: name it with -o OUT")
    if args.at is not None and args.graph is None:
        raise _Usage("--at gives the point for --graph: add --graph OUT.svg")
    if args.graph is not None:
        return _graph(args, functions, wrt, options)
    files, status = _inputs(
        args.files, verbose=args.verbose, prog=prog, compare=args.check or args.diff
    )
    if not files:
        return status
    jobs = _plan(files, output)
    if args.emit_test is not None:
        return max(status, _emit_test(args, jobs, functions, wrt, options, prog))

    pending_stdout = False
    stale = fresh = 0
    for job in jobs:
        text, code = _generate_one(job, functions, wrt, options, args.traceback, shapes)
        status = max(status, code)
        if text is None:
            continue
        data = text.encode("utf-8")
        if job.output is None:
            _stdout(b"\n\n" + data if pending_stdout else data)
            pending_stdout = True
            continue
        try:
            current: bytes | None = job.output.read_bytes()
        except FileNotFoundError:
            current = None
        except OSError as error:
            _report(f"{job.output}: error: cannot read it: {_reason(error)}")
            status = max(status, USAGE)
            continue
        if args.check or args.diff:
            if current == data:
                fresh += 1
                continue
            stale += 1
            if args.diff:
                from ._files import unified_diff

                shown = str(job.output)
                _stdout(unified_diff(current, data, shown, shown).encode("utf-8"))
            if args.check:
                status = max(status, REFUSED)
                if not args.quiet:
                    what = "missing" if current is None else "stale"
                    command = _command(
                        prog, job, functions, args.wrt, options, args.shapes
                    )
                    _report(f"{job.output}: {what}; regenerate it with: {command}")
            continue
        if current == data:
            fresh += 1
            continue
        code = _write(job, data, current, force=args.force)
        status = max(status, code)
        if code == OK and not args.quiet:
            _report(f"{prog}: wrote {job.output}")
    if (args.check or args.diff) and not args.quiet:
        _report(f"{prog}: {_summary(stale, fresh, args.check)}")
    return status


def _functions(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    names = [name.strip() for value in values for name in value.split(",")]
    bad = [name for name in names if not name.isidentifier()]
    if bad:
        raise _Usage(f"-f: {bad[0]!r} is not a function name")
    return list(dict.fromkeys(names))


def _shapes(values: list[str] | None) -> dict[str, str] | None:
    """`--shape x=N,D` (repeatable) as generate's `shapes=`."""
    if not values:
        return None
    shapes: dict[str, str] = {}
    for value in values:
        name, equals, dims = value.partition("=")
        name = name.strip()
        if not equals or not name.isidentifier():
            raise _Usage(f"--shape {value!r}: write NAME=DIMS, e.g. x=N,D or lr=")
        if name in shapes:
            raise _Usage(f"--shape gives the shape of {name} twice")
        shapes[name] = dims
    return shapes


def _wrt(value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [name.strip() for name in value.split(",")]
    if names == [""]:
        raise _Usage("--wrt: name at least one parameter (default: all of them)")
    bad = [name for name in names if not name.isidentifier()]
    if bad:
        raise _Usage(f"--wrt: {bad[0]!r} is not a parameter name")
    twice = [name for name in dict.fromkeys(names) if names.count(name) > 1]
    if twice:
        raise _Usage(f"--wrt names {twice[0]!r} twice; name each parameter once")
    return names


def _tool(flag: str, args: argparse.Namespace) -> int:
    """The commands that read no FILE."""
    if flag == "--gates":
        from .docs import gates

        text = gates(args.gates)
        if not text:
            _report(f"no gate mentions {args.gates!r}; try `bpgen --gates`")
            return REFUSED
        _stdout(text.encode("utf-8"))
        return OK
    from . import _cache

    if flag == "--cache-info":
        _stdout(_cache.describe().encode("utf-8"))
        return OK
    removed, size = _cache.clear()
    root = _cache.directory()
    if not args.quiet:
        where = "caching is off (BPGEN_NO_CACHE)" if root is None else str(root)
        _report(f"removed {removed} files ({_cache.human(size)}) from {where}")
    return OK


def _graph(
    args: argparse.Namespace,
    functions: list[str] | None,
    wrt: list[str] | None,
    options: Options,
) -> int:
    """`--graph OUT.svg --at x=3,y=-4`: the circuit diagram of one function."""
    from .diagram import build, parse_point

    if len(args.files) != 1:
        raise _Usage("--graph draws one function of one FILE")
    if functions is not None and len(functions) != 1:
        raise _Usage("--graph draws one function: name it with -f NAME")
    if args.at is None:
        raise _Usage("--graph needs the point to evaluate at: --at x=3,y=-4")
    if args.output is not None or args.check or args.diff or args.emit_test:
        raise _Usage("--graph writes only the SVG: drop -o, --check, --diff")
    job = Job(args.files[0], _display(args.files[0]), None)
    try:
        source = _read(job)
        point = parse_point(args.at)
        function = functions[0] if functions else None
        if function is None:
            from .parse import parse

            names = list(parse(source, job.filename).functions)
            if len(names) != 1:
                raise _Usage(
                    f"{job.filename} defines {len(names)} functions "
                    f"({', '.join(names)}); pick one with -f NAME"
                )
            function = names[0]
        result = build(
            source, function, point, filename=job.filename, wrt=wrt, options=options
        )
    except OSError as error:
        _report(f"{job.filename}: error: cannot read it: {_reason(error)}")
        return USAGE
    except UsageError as error:
        _report(str(error))
        return USAGE
    except BpgenError as error:
        _report(str(error))
        return REFUSED
    except (ArithmeticError, ValueError, TypeError) as error:
        _report(
            f"{job.filename}: error: {function}() fails at {args.at}: "
            f"{type(error).__name__}: {error}\n  help: choose another point with --at"
        )
        return REFUSED
    target = Path(args.graph)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        result.save(target)
    except OSError as error:
        _report(f"{target}: error: cannot write it: {_reason(error)}")
        return USAGE
    if not args.quiet:
        _report(f"bpgen: wrote {target}")
    return OK


def _emit_test(
    args: argparse.Namespace,
    jobs: list[Job],
    functions: list[str] | None,
    wrt: list[str] | None,
    options: Options,
    prog: str,
) -> int:
    """`--emit-test OUT_test.py`: the module as usual with -o, then the test."""
    if args.check or args.diff:
        raise _Usage("--emit-test writes a file; run it without --check/--diff")
    if len(jobs) != 1 or jobs[0].input == "-":
        raise _Usage("--emit-test takes one FILE (not stdin)")
    (job,) = jobs
    target = Path(args.emit_test)
    if job.output is not None and os.path.realpath(target) == os.path.realpath(
        job.output
    ):
        raise _Usage("--emit-test and -o name the same file")
    if os.path.realpath(target) == os.path.realpath(job.input):
        raise _Usage(f"refusing to write over the input file {target}")
    text, status = _generate_one(job, functions, wrt, options, args.traceback)
    if text is None:
        return status
    if job.output is not None:
        data = text.encode("utf-8")
        try:
            current = job.output.read_bytes()
        except OSError:
            current = None
        if current != data:
            status = _write(job, data, current, force=args.force)
            if status != OK:
                return status
            if not args.quiet:
                _report(f"{prog}: wrote {job.output}")
    from . import selftest

    words = [job.input]
    if functions:
        words += ["-f", ",".join(functions)]
    if args.wrt is not None:
        words += ["--wrt", args.wrt]
    if job.output is not None:
        words += ["-o", str(job.output)]
    words += ["--emit-test", str(target)]
    test = selftest.emit(
        _read(job),
        text,
        filename=job.filename,
        test_path=target,
        source_path=Path(job.input),
        module_path=job.output,
        command=f"bpgen {shlex.join(words)}",
    )
    data = test.encode("utf-8")
    try:
        current = target.read_bytes()
    except OSError:
        current = None
    ours = current is None or selftest.written_by_bpgen(current)
    if not ours and not args.force:
        _report(
            f"{target}: error: refusing to overwrite a file bpgen did not "
            "write\n  help: choose another name, or pass --force to replace it"
        )
        return USAGE
    if current != data:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            from ._files import atomic_write

            atomic_write(target, data)
        except OSError as error:
            _report(f"{target}: error: cannot write it: {_reason(error)}")
            return USAGE
    if not args.quiet:
        done = f"wrote {target}" if current != data else f"{target} is up to date"
        _report(f"{prog}: {done}")
    return status


def _inputs(
    files: list[str], *, verbose: bool, prog: str, compare: bool = False
) -> tuple[list[str], int]:
    """The inputs minus files bpgen generated (outputs, never inputs).

    Among several inputs (a glob that now also matches last run's outputs)
    they are skipped; when nothing else is left they are refused. With
    --check/--diff (`compare`), a generated file whose source exists stands
    for that source: a pre-commit hook handed only a hand-edited output still
    checks it.
    """
    names = list(dict.fromkeys(files))
    sources = {name: None if name == "-" else _generated_from(name) for name in names}
    kept = [name for name in names if sources[name] is None]
    given = {os.path.realpath(name) for name in kept if name != "-"}
    skipped = []
    for name in names:
        source = sources[name]
        if source is None:
            continue
        stands_in = (
            compare
            and os.path.realpath(source) not in given
            and os.path.isfile(source)
            and _generated_from(source) is None
        )
        if stands_in:
            if verbose:
                _report(f"{prog}: checking {_display(name)} from its source {source}")
            kept.append(source)
            given.add(os.path.realpath(source))
        else:
            skipped.append((name, source))
    if kept:
        for name, _ in skipped if verbose else []:
            _report(f"{prog}: skipped {_display(name)}: bpgen generated it")
        return kept, OK
    for name, source in skipped:
        _report(
            f"{_display(name)}: error: bpgen generated this file (from {source}); "
            "it is an output, not an input\n"
            f"  help: run bpgen on the forward module instead, e.g. {prog} {source}"
        )
    return [], USAGE


def _generated_from(name: str) -> str | None:
    """The source a bpgen-generated file names in its header, else None."""
    from .generate import HEADER

    head, _, tail = HEADER.partition("{version} from {filename}")
    try:
        with open(name, "rb") as handle:
            first = handle.readline(4096).decode("utf-8", "replace").rstrip("\r\n")
    except OSError:
        return None  # unreadable: reported when it is read
    if not (first.startswith(head) and first.endswith(tail)):
        return None
    _, _, source = first[len(head) : len(first) - len(tail)].partition(" from ")
    return source or "its source"


def _plan(files: list[str], output: str | None) -> list[Job]:
    """Where each input goes; every usage problem is found before any work."""
    inputs = list(dict.fromkeys(files))
    jobs = [Job(name, _display(name), None) for name in inputs]
    if output is None:
        return jobs
    template = "{" in output
    directory = not template and (
        output.endswith(("/", os.sep)) or os.path.isdir(output)
    )
    if not template and not directory and len(inputs) > 1:
        raise _Usage(
            f"-o {output} names one file but {len(inputs)} inputs were given; "
            "use -o DIR/ (one file per input) or a template such as "
            "-o '{dir}/{stem}_grad.py'"
        )
    for job in jobs:
        if job.input == "-" and (template or directory):
            raise _Usage("with stdin (-) as input, -o must name a file")
        path = Path(job.input)
        if template:
            try:
                target = output.format(
                    stem=path.stem, name=path.name, dir=path.parent.as_posix()
                )
            except (KeyError, IndexError, ValueError) as error:
                raise _Usage(
                    f"-o {output}: bad template ({error}); use {{stem}}, "
                    "{name} and {dir}"
                ) from None
            job.output = Path(target)
        elif directory:
            job.output = Path(output) / f"{path.stem}.py"
        else:
            job.output = Path(output)
    seen: dict[str, Job] = {}
    real_inputs = {
        os.path.realpath(job.input): job.input for job in jobs if job.input != "-"
    }
    for job in jobs:
        assert job.output is not None
        real = os.path.realpath(job.output)
        if real in real_inputs or any(
            _same_file(job.output, name) for name in real_inputs.values()
        ):
            raise _Usage(
                f"refusing to write over the input file {job.output}; choose another -o"
            )
        if real in seen:
            raise _Usage(
                f"{seen[real].input} and {job.input} would both be written "
                f"to {job.output}; use a template such as -o '{{dir}}/{{stem}}_grad.py'"
            )
        seen[real] = job
    return jobs


def _same_file(a: Path, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _display(name: str) -> str:
    return "<stdin>" if name == "-" else Path(name).as_posix()


def _read(job: Job) -> str:
    from ._files import decode_source

    stdin = job.input == "-"
    data = sys.stdin.buffer.read() if stdin else Path(job.input).read_bytes()
    return decode_source(data, job.filename)


def _generate_one(
    job: Job,
    functions: list[str] | None,
    wrt: list[str] | None,
    options: Options,
    show_traceback: bool,
    shapes: dict[str, str] | None = None,
) -> tuple[str | None, int]:
    try:
        source = _read(job)
    except IsADirectoryError:
        _report(
            f"{job.filename}: error: is a directory\n"
            f"  help: pass the Python files, e.g. {job.filename}/*.py"
        )
        return None, USAGE
    except OSError as error:
        _report(f"{job.filename}: error: cannot read it: {_reason(error)}")
        return None, USAGE
    except BpgenError as error:
        _report(str(error))
        return None, REFUSED
    from .generate import generate_module

    # asked for every function: a refused one does not stop the others
    refusals: list[BpgenError] | None = [] if functions is None else None
    try:
        text = generate_module(
            source,
            functions,
            wrt,
            filename=job.filename,
            options=options,
            refusals=refusals,
            shapes=shapes,
        )
        for refusal in refusals or ():
            _refused(refusal, show_traceback)
        if refusals:
            return text, REFUSED
    except BpgenError as error:
        _refused(error, show_traceback)
        about_options = isinstance(error, UsageError) or (
            isinstance(error, FunctionNotFoundError) and functions is not None
        )
        return None, USAGE if about_options else REFUSED
    return text, OK


def _refused(error: BpgenError, show_traceback: bool) -> None:
    """A bug in bpgen shows where bpgen failed when asked; a refusal never does."""
    if show_traceback and isinstance(error, InternalError) and error.__cause__:
        traceback.print_exception(error.__cause__, file=sys.stderr)
    _report(str(error))


def _write(job: Job, data: bytes, current: bytes | None, *, force: bool) -> int:
    from ._files import atomic_write
    from .generate import HEADER

    assert job.output is not None
    marker = HEADER.split("{", 1)[0].encode()
    if current and not current.startswith(marker) and not force:
        _report(
            f"{job.output}: error: refusing to overwrite a file bpgen did not "
            "generate\n"
            "  help: check -o, or pass --force to replace it"
        )
        return USAGE
    try:
        job.output.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(job.output, data)
    except OSError as error:
        _report(f"{job.output}: error: cannot write it: {_reason(error)}")
        return USAGE
    return OK


def _command(
    prog: str,
    job: Job,
    functions: list[str] | None,
    wrt: str | None,
    options: Options,
    shapes: list[str] | None = None,
) -> str:
    """The command that regenerates one output file."""
    words = [job.input]
    if functions:
        words += ["-f", ",".join(functions)]
    if wrt is not None:
        words += ["--wrt", wrt]
    for shape in shapes or ():
        words += ["--shape", shape]
    defaults = Options()
    for switch in Options.switches():
        if getattr(options, switch) != getattr(defaults, switch):
            words.append(f"--no-{switch.replace('_', '-')}")
    for choice in Options.choices():
        if getattr(options, choice):
            words.append(f"--{choice.replace('_', '-')}")
    words += ["-o", str(job.output)]
    return f"{prog} {shlex.join(words)}"


def _summary(stale: int, fresh: int, check: bool) -> str:
    def files(n: int) -> str:
        return f"{n} file{'s' if n != 1 else ''}"

    parts = []
    if stale:
        parts.append(f"{files(stale)} would {'be regenerated' if check else 'change'}")
    if fresh or not stale:
        parts.append(f"{files(fresh)} up to date")
    return ", ".join(parts)


def _reason(error: OSError) -> str:
    return error.strerror or str(error)


def _stdout(data: bytes) -> None:
    """Exact bytes on stdout (UTF-8, LF), whatever the terminal's encoding."""
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


def _report(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
