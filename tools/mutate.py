"""On-demand mutation testing of the translator (not in CI: it takes long on 2 cores).

    nice -n 19 .venv/bin/python tools/mutate.py weights            # one module
    nice -n 19 .venv/bin/python tools/mutate.py --all -j 2          # every configured module, two at a time
    .venv/bin/python tools/mutate.py naming --list                  # the mutants, not run

The modules and the tests that guard each are configured in pyproject.toml
(``[tool.lattice-gateway.mutate]``).  For each module: one run of its tests under
coverage records which test reaches which line; then each mutant (one small change of
the module's syntax tree: a comparison, an operator, ``and``/``or``, a constant,
``break``/``continue``, a returned or assigned value) runs only the tests that reach it,
stopping at the first failure.  A module that caches what it builds (the contract check
compiles each shape once, in whichever test comes first) sets ``select_by_coverage =
false``: its mutants run every one of its tests, since the test that reached a line is
not the only one relying on it.  A mutant is killed when a test fails (or it hangs past
the timeout), survives when they all pass.

Why our own AST mutator rather than mutmut: mutmut 3 runs every mutant in a worker forked
from one process that has already imported the code, switching mutants through
trampolines, so module-level state built at import time keeps the original code; the
contract check (``contract/check.py``) compiles its validators once into a cache at first
use, and its mutants were never run.  Here each mutant runs in a fresh fork of a parent
that has imported only third-party libraries: the module under test is imported anew
from the mutated tree (by an import hook, so no file is ever written and other people's
edits to the working tree are not disturbed), with every cache it builds.

Mutants that only change the text of a message (prose: a string literal with a space in
it, or anything inside an f-string whose text has one; or the argument of a ``raise``)
are not run unless ``--messages`` is given, and then counted apart: a test pinning every
message's wording would be a test of the wording.  The score is killed / code mutants.
``--jobs N`` runs N mutants at a time.
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib.abc
import importlib.util
import json
import os
import select
import signal
import sys
import threading
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
CONFIG_TABLE = ("tool", "lattice-gateway", "mutate")
# Imported once by the parent so each fork starts warm; nothing of ours is among them.
WARM_IMPORTS = ("pytest", "hypothesis", "pydantic", "botocore.session", "boto3", "yaml", "orjson", "pulumi",
                "pulumi_aws", "typer", "rich")
IMPORT_TIME = "<import>"
PYTEST_ARGS = ("-q", "-p", "no:cacheprovider", "-p", "no:randomly", "--no-header", "-o", "addopts=")

SWAPS = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
    ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
    ast.Mod: ast.FloorDiv, ast.Pow: ast.Mult, ast.BitAnd: ast.BitOr, ast.BitOr: ast.BitAnd,
    ast.BitXor: ast.BitAnd, ast.LShift: ast.RShift, ast.RShift: ast.LShift,
    ast.And: ast.Or, ast.Or: ast.And,
}
SYMBOL = {
    ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.In: "in",
    ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not", ast.Add: "+", ast.Sub: "-", ast.Mult: "*",
    ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**", ast.BitAnd: "&", ast.BitOr: "|",
    ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>", ast.And: "and", ast.Or: "or",
}


# ---------------------------------------------------------------- mutants

@dataclass(frozen=True)
class Mutant:
    index: int          # position of the node in ast.walk order
    variant: int        # which change of that node
    line: int
    end_line: int
    description: str
    message_text: bool  # only a message's wording changes


def _excluded_nodes(tree: ast.AST) -> set:
    """Docstrings, annotations and decorators: changing them changes no behaviour we test."""
    excluded: set = set()

    def exclude(node: Optional[ast.AST]) -> None:
        if node is not None:
            excluded.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                exclude(body[0])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            exclude(node.returns)
            for decorator in node.decorator_list:
                exclude(decorator)
        if isinstance(node, ast.ClassDef):
            for decorator in node.decorator_list:
                exclude(decorator)
        if isinstance(node, ast.arg):
            exclude(node.annotation)
        if isinstance(node, ast.AnnAssign):
            exclude(node.annotation)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            exclude(node)
    return excluded


def _message_strings(tree: ast.AST) -> set:
    """The nodes that only make up the wording of a message: prose (a string with a
    space in it, or an f-string whose text has one, placeholders included) and the
    arguments of a ``raise``.  Keys and names built with f-strings have no spaces."""
    found: set = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = [part.value for part in node.values if isinstance(part, ast.Constant)]
            if any(" " in part for part in text):
                found.update(id(n) for n in ast.walk(node))
        elif isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            for argument in [*node.exc.args, *(k.value for k in node.exc.keywords)]:
                found.update(id(n) for n in ast.walk(argument))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and " " in node.value:
            found.add(id(node))
    return found


def _variants(node: ast.AST) -> List[str]:
    """The changes one node offers, described."""
    if isinstance(node, ast.Compare):
        return [f"{SYMBOL[type(op)]} -> {SYMBOL[SWAPS[type(op)]]}" for op in node.ops if type(op) in SWAPS]
    if isinstance(node, (ast.BinOp, ast.BoolOp)) and type(node.op) in SWAPS:
        return [f"{SYMBOL[type(node.op)]} -> {SYMBOL[SWAPS[type(node.op)]]}"]
    if isinstance(node, ast.AugAssign):
        found = [f"{SYMBOL[type(node.op)]}= -> {SYMBOL[SWAPS[type(node.op)]]}="] if type(node.op) in SWAPS else []
        return found + [f"{SYMBOL.get(type(node.op), '?')}= -> ="]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
        return ["drop " + ("not" if isinstance(node.op, ast.Not) else "unary -")]
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            return [f"{value} -> {not value}"]
        if isinstance(value, (int, float)):
            return [f"{value!r} -> {value + 1!r}"]
        if isinstance(value, str):
            return [f"{_short(value)} -> {_short('XX' + value + 'XX')}"]
        return []
    if isinstance(node, ast.Break):
        return ["break -> continue"]
    if isinstance(node, ast.Continue):
        return ["continue -> break"]
    if isinstance(node, ast.Return) and node.value is not None and not _is_none(node.value):
        return ["return value -> return None"]
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and not _is_none(node.value):
        return ["assigned value -> None"]
    return []


def _short(text: str) -> str:
    return repr(text if len(text) <= 30 else text[:27] + "...")


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def mutants(tree: ast.AST) -> List[Mutant]:
    excluded = _excluded_nodes(tree)
    messages = _message_strings(tree)
    found = []
    for index, node in enumerate(ast.walk(tree)):
        if id(node) in excluded or not hasattr(node, "lineno"):
            continue
        for variant, description in enumerate(_variants(node)):
            found.append(Mutant(index, variant, node.lineno, node.end_lineno or node.lineno, description,
                                message_text=id(node) in messages))
    return found


def mutated(tree: ast.AST, mutant: Mutant) -> ast.AST:
    """A copy of the tree with the one change; the walk order of a copy is the original's."""
    copied = copy.deepcopy(tree)
    parents = {}
    target = None
    for index, node in enumerate(ast.walk(copied)):
        for child in ast.iter_child_nodes(node):
            parents[id(child)] = node
        if index == mutant.index:
            target = node
            break
    assert target is not None
    _apply(target, mutant.variant, parents)
    return ast.fix_missing_locations(copied)


def _replace(node: ast.AST, replacement: ast.AST, parents: Dict[int, ast.AST]) -> None:
    parent = parents[id(node)]
    for name, value in ast.iter_fields(parent):
        if value is node:
            setattr(parent, name, replacement)
            return
        if isinstance(value, list) and any(item is node for item in value):
            value[[i for i, item in enumerate(value) if item is node][0]] = replacement
            return
    raise AssertionError("node not found under its parent")


def _apply(node: ast.AST, variant: int, parents: Dict[int, ast.AST]) -> None:
    if isinstance(node, ast.Compare):
        positions = [i for i, op in enumerate(node.ops) if type(op) in SWAPS]
        node.ops[positions[variant]] = SWAPS[type(node.ops[positions[variant]])]()
    elif isinstance(node, (ast.BinOp, ast.BoolOp)):
        node.op = SWAPS[type(node.op)]()
    elif isinstance(node, ast.AugAssign):
        swaps = type(node.op) in SWAPS
        if swaps and variant == 0:
            node.op = SWAPS[type(node.op)]()
        else:
            _replace(node, ast.copy_location(ast.Assign([node.target], node.value), node), parents)
    elif isinstance(node, ast.UnaryOp):
        _replace(node, node.operand, parents)
    elif isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool):
            node.value = not value
        elif isinstance(value, (int, float)):
            node.value = value + 1
        else:
            node.value = "XX" + value + "XX"
    elif isinstance(node, ast.Break):
        _replace(node, ast.copy_location(ast.Continue(), node), parents)
    elif isinstance(node, ast.Continue):
        _replace(node, ast.copy_location(ast.Break(), node), parents)
    elif isinstance(node, (ast.Return, ast.Assign)):
        node.value = ast.copy_location(ast.Constant(None), node.value)
    else:
        raise AssertionError(f"no variant for {type(node).__name__}")


# ---------------------------------------------------------------- running, in forks

class _MutatedSource(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves the mutated code for one module name; every other import is untouched."""

    def __init__(self, name: str, path: Path, code) -> None:
        self.name, self.path, self.code = name, path, code

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        return importlib.util.spec_from_file_location(fullname, self.path, loader=self)

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        exec(self.code, module.__dict__)


class _LineRecorder:
    """A pytest plugin: which test reaches which line of the module, and how long it takes."""

    def __init__(self, path: Path) -> None:
        import coverage

        self.coverage = coverage.Coverage(data_file=None, include=[str(path)], branch=False, config_file=False)
        self.durations: Dict[str, float] = {}
        self.failing: set = set()

    def pytest_runtest_setup(self, item) -> None:
        self.coverage.switch_context(item.nodeid)
        self._started = time.monotonic()

    def pytest_runtest_teardown(self, item) -> None:
        self.durations[item.nodeid] = time.monotonic() - self._started

    def pytest_runtest_logreport(self, report) -> None:
        if report.failed:
            self.failing.add(report.nodeid)


def _hypothesis_quiet() -> None:
    """No example database (forks would race on it) and no deadlines (a niced machine is slow)."""
    from hypothesis import settings

    settings.register_profile("mutate", database=None, deadline=None, derandomize=True)
    settings.load_profile("mutate")


def _in_fork(work, timeout: float) -> Tuple[str, Optional[object]]:
    """Run ``work()`` in a forked child; ("ok", its JSON result), ("failed", None) or ("timeout", None)."""
    with _FORK_LOCK:  # another job's child must not inherit this pipe's writer (its reader would never see EOF)
        reader, writer = os.pipe()
        pid = os.fork()
        if pid != 0:
            os.close(writer)
    if pid == 0:  # the child
        os.close(reader)
        os.setpgid(0, 0)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        code = 1
        try:
            result = work()
            os.write(writer, json.dumps(result).encode())
            code = 0
        except BaseException:  # noqa: BLE001 - any failure of a mutant is a failed run
            code = 1
        finally:
            os.close(writer)
            os._exit(code)
    _RUNNING.add(pid)
    try:
        return _wait(pid, reader, timeout)
    finally:
        _RUNNING.discard(pid)


def _wait(pid: int, reader: int, timeout: float) -> Tuple[str, Optional[object]]:
    chunks = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(reader)
            return "timeout", None
        ready, _, _ = select.select([reader], [], [], left)
        if ready:
            chunk = os.read(reader, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    os.close(reader)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return "failed", None
    return "ok", json.loads(b"".join(chunks) or b"null")


_RUNNING: set = set()  # forked children (each its own process group), to stop with us
# Held around every fork and every print: a child forked while another thread holds a lock
# (a pipe half made, the stdout buffer's) would inherit it held.
_FORK_LOCK = threading.Lock()


def _stop_children(signum, frame) -> None:
    for pid in list(_RUNNING):
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    raise SystemExit(128 + signum)


def _pytest(arguments: Sequence[str], plugins: Sequence[object] = (), *, first_failure: bool = True) -> int:
    import pytest

    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    _hypothesis_quiet()
    stop = ["-x"] if first_failure else []
    return int(pytest.main([*PYTEST_ARGS, *stop, *arguments], plugins=list(plugins)))


def record_lines(path: Path, tests: Sequence[str]) -> Tuple[Dict[int, List[str]], Dict[str, float], List[str]]:
    """Run the tests once, unmutated: which test reaches which line, how long each takes,
    and which fail already (a colleague's change in flight): those are left out."""
    def work():
        recorder = _LineRecorder(path)
        recorder.coverage.start()
        try:
            code = _pytest(tests, [recorder], first_failure=False)
        finally:
            recorder.coverage.stop()
        if code not in (0, 1):  # 1: some tests failed; anything else: no usable run
            raise SystemExit(code)
        data = recorder.coverage.get_data()
        # The empty context is import time (collection): such lines reach every test.
        by_line = {line: sorted(c or IMPORT_TIME for c in contexts) for line, contexts in
                   data.contexts_by_lineno(str(path)).items()}
        for failing in recorder.failing:
            recorder.durations.pop(failing, None)
        by_line = {line: [c for c in contexts if c not in recorder.failing] for line, contexts in by_line.items()}
        return {"lines": by_line, "durations": recorder.durations, "failing": sorted(recorder.failing)}

    outcome, result = _in_fork(work, timeout=1800)
    if outcome != "ok":
        raise SystemExit(f"{path.relative_to(ROOT)}: its tests ({' '.join(tests)}) do not pass unmutated "
                         f"({outcome}); fix them before measuring mutants")
    return {int(k): v for k, v in result["lines"].items()}, result["durations"], result["failing"]


def run_mutant(name: str, path: Path, tree: ast.AST, mutant: Mutant, tests: Sequence[str], timeout: float) -> str:
    """killed, survived or timeout."""
    code = compile(mutated(tree, mutant), str(path), "exec")

    def work():
        sys.meta_path.insert(0, _MutatedSource(name, path, code))
        return _pytest(tests)

    outcome, result = _in_fork(work, timeout)
    if outcome == "timeout":
        return "timeout"
    return "survived" if outcome == "ok" and result == 0 else "killed"


# ---------------------------------------------------------------- the command

@dataclass
class Score:
    module: str
    killed: int = 0
    timeout: int = 0
    survivors: List[Tuple[Mutant, str]] = field(default_factory=list)
    message_killed: int = 0
    message_survivors: List[Tuple[Mutant, str]] = field(default_factory=list)
    message_not_run: int = 0

    @property
    def code_total(self) -> int:
        return self.killed + self.timeout + len(self.survivors)

    @property
    def percent(self) -> float:
        return 100.0 * (self.killed + self.timeout) / self.code_total if self.code_total else 100.0


def load_config() -> Dict[str, dict]:
    table = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for key in CONFIG_TABLE:
        table = table.get(key, {})
    if not table.get("modules"):
        raise SystemExit("pyproject.toml has no [tool.lattice-gateway.mutate] modules table")
    return table["modules"]


def measure(short: str, config: dict, *, only_list: bool, verbose: bool, lines: Optional[set] = None,
            jobs: int = 1, messages: bool = False) -> Score:
    path = ROOT / config["path"]
    name = ".".join(Path(config["path"]).with_suffix("").parts)
    tree = ast.parse(path.read_text(), str(path))
    found = [m for m in mutants(tree) if lines is None or m.line in lines]
    source_lines = path.read_text().splitlines()
    score = Score(short)
    if only_list:
        for m in found:
            print(f"{config['path']}:{m.line}: {m.description}{'  [message text]' if m.message_text else ''}")
        return score
    lines, durations, failing = record_lines(path, config["tests"])
    for nodeid in failing:
        print(f"  left out, failing unmutated: {nodeid}", flush=True)
    started = time.monotonic()

    def outcome_of(mutant: Mutant) -> Tuple[str, str]:
        reaching = sorted({t for line in range(mutant.line, mutant.end_line + 1) for t in lines.get(line, ())},
                          key=lambda t: durations.get(t, 0.0))
        if reaching and (IMPORT_TIME in reaching or not config.get("select_by_coverage", True)):
            reaching = sorted(durations, key=durations.get)
        if not reaching:
            return "survived", "  (no test reaches it)"
        budget = 5 * sum(durations.get(t, 1.0) for t in reaching) + 15
        # A mutant that loops forever fails its first test soon (pytest-timeout), not after 300 s.
        per_test = max(15, round(5 * max(durations.get(t, 1.0) for t in reaching)))
        # The thread method ends the whole run at a test that hangs, even in a thread of
        # its own that the signal method would leave spinning (and the fork never exiting).
        timeouts = [f"--timeout={per_test}", "--timeout-method=thread"]
        outcome = run_mutant(name, path, tree, mutant, [*timeouts, *reaching], budget)
        if outcome == "timeout":  # a busy machine: only a second run at four times the budget counts
            outcome = run_mutant(name, path, tree, mutant, [*timeouts, *reaching], 4 * budget)
        return outcome, ""

    run = [m for m in found if messages or not m.message_text]
    score.message_not_run = len(found) - len(run)
    done = 0
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(outcome_of, mutant): mutant for mutant in run}
        for future in as_completed(futures):
            mutant = futures[future]
            outcome, why = future.result()
            shown = f"{config['path']}:{mutant.line}: {mutant.description}  | {source_lines[mutant.line - 1].strip()}{why}"
            if mutant.message_text:
                if outcome == "survived":
                    score.message_survivors.append((mutant, shown))
                else:
                    score.message_killed += 1
            elif outcome == "survived":
                score.survivors.append((mutant, shown))
            elif outcome == "timeout":
                score.timeout += 1
            else:
                score.killed += 1
            done += 1
            if verbose:
                with _FORK_LOCK:
                    print(f"[{done}/{len(run)}] {outcome:8} {shown}", flush=True)
    score.survivors.sort(key=lambda pair: (pair[0].line, pair[1]))
    score.message_survivors.sort(key=lambda pair: (pair[0].line, pair[1]))
    elapsed = time.monotonic() - started
    print(f"\n{short}: {len(run)} mutants run in {elapsed:.0f}s ({jobs} at a time)", flush=True)
    for _, shown in score.survivors:
        print(f"  SURVIVED {shown}")
    for _, shown in score.message_survivors:
        print(f"  survived (message text) {shown}")
    return score


def by_hand(config: dict, old: str, new: str, *, tests: Optional[Sequence[str]]) -> int:
    """Exit 0 when a test kills the hand-made mutant, 1 when it survives."""
    path = ROOT / config["path"]
    source = path.read_text()
    if source.count(old) != 1:
        raise SystemExit(f"{config['path']}: {old!r} occurs {source.count(old)} times; give text that occurs once")
    code = compile(source.replace(old, new), str(path), "exec")
    name = ".".join(Path(config["path"]).with_suffix("").parts)

    def work():
        sys.meta_path.insert(0, _MutatedSource(name, path, code))
        return _pytest(tests or config["tests"])

    outcome, result = _in_fork(work, timeout=1800)
    killed = not (outcome == "ok" and result == 0)
    print(f"{config['path']}: {old!r} -> {new!r}: {'killed' if killed else 'SURVIVED'}")
    return 0 if killed else 1


def main(argv: Optional[Sequence[str]] = None) -> int:
    config = load_config()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help=f"any of: {', '.join(config)}; or a module's path, with --tests")
    parser.add_argument("--all", action="store_true", help="every configured module, one after another")
    parser.add_argument("--list", action="store_true", help="list the mutants without running them")
    parser.add_argument("--verbose", "-v", action="store_true", help="a line per mutant as it is run")
    parser.add_argument("--json", type=Path, help="also write the scores to this file")
    parser.add_argument("--lines", type=lambda text: {int(n) for n in text.split(",")},
                        help="only the mutants on these lines (comma-separated), e.g. to rerun survivors")
    parser.add_argument("--replace", nargs=2, metavar=("OLD", "NEW"),
                        help="a mutant by hand: run one module's tests against its source with OLD (once) made NEW")
    parser.add_argument("--tests", nargs="+", help="with --replace: these tests rather than the configured ones")
    parser.add_argument("--jobs", "-j", type=int, default=1, help="mutants run at a time (each a forked process)")
    parser.add_argument("--messages", action="store_true",
                        help="also run the mutants that only change a message's text (reported apart)")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_children)
    signal.signal(signal.SIGINT, _stop_children)
    chosen = list(config) if args.all else args.modules
    for module in chosen:  # any other module by its path, with the tests given
        if module.endswith(".py") and module not in config and args.tests:
            config[module] = {"path": module, "tests": args.tests}
    unknown = [m for m in chosen if m not in config]
    if unknown or not chosen:
        parser.error(f"name modules among {', '.join(config)} (or --all); unknown: {', '.join(unknown) or 'none given'}")
    if args.replace:
        if len(chosen) != 1:
            parser.error("--replace takes exactly one module")
        return by_hand(config[chosen[0]], *args.replace, tests=args.tests)
    if not args.list:
        for module in WARM_IMPORTS:
            __import__(module)
    scores = [measure(m, config[m], only_list=args.list, verbose=args.verbose, lines=args.lines, jobs=args.jobs,
                      messages=args.messages) for m in chosen]
    if args.list:
        return 0
    print(f"\n{'module':14} {'score':>7} {'killed':>7} {'survived':>9} {'message text (killed/all)':>27}")
    for s in scores:
        messages = (f"{s.message_killed}/{s.message_killed + len(s.message_survivors)}" if not s.message_not_run
                    else f"{s.message_not_run} not run")
        print(f"{s.module:14} {s.percent:6.1f}% {s.killed + s.timeout:>7} {len(s.survivors):>9} {messages:>27}")
    if args.json:
        args.json.write_text(json.dumps({s.module: {
            "score": round(s.percent, 1), "killed": s.killed, "timeout": s.timeout,
            "survived": [shown for _, shown in s.survivors],
            "message_text_killed": s.message_killed, "message_text_not_run": s.message_not_run,
            "message_text_survived": [shown for _, shown in s.message_survivors]} for s in scores}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
