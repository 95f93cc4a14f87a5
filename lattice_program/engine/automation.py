"""Run Pulumi operations on a stack through the real Automation API.

``latticectl preview|up|destroy`` and the watch daemon drive Pulumi through this one
module, so the awkward parts of ``pulumi.automation`` are dealt with in one place:

* The Automation API is a wrapper around the ``pulumi`` binary: constructing a
  ``LocalWorkspace`` runs ``pulumi version`` and fails with a bare
  ``FileNotFoundError`` when the binary is missing.  We look for the binary first and
  raise :class:`PulumiNotInstalled`, whose message is the one line the CLI prints
  before exiting with :data:`PULUMI_MISSING_EXIT_CODE`.  We never call
  ``PulumiCommand.install()``: it downloads and runs an installer behind the user's back.
* Every failure of the CLI arrives as a ``CommandError`` whose text is the whole
  stdout and stderr.  We turn it into :class:`StackLocked`, :class:`StackNotFound` or
  :class:`PulumiCommandFailed` (carrying only the stderr tail), so no raw traceback
  reaches the CLI.
* Inline programs (the daemon's) declare no plugins, so the engine would not know it
  needs the ``aws`` provider: we install the plugins matching the installed Python
  provider packages.  A project-directory run resolves them from the project itself.
* ``LocalWorkspace.stack_settings()`` ignores ``stackConfigDir``;
  :func:`stack_config_path` resolves ``stacks/Pulumi.<stack>.yaml`` the way the CLI does.

Tests substitute the binary through the ``pulumi_command`` argument: any
``PulumiCommand`` subclass that overrides ``run()``.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterator, Literal, Mapping, Optional, get_args

import yaml
from pulumi import automation as auto

from lattice_program.engine.locks import LockHolder, stack_locks
from lattice_program.vocabulary.outputs import known

PULUMI_MISSING_EXIT_CODE = 3
STACK_LOCKED_EXIT_CODE = 4

PULUMI_INSTALL_URL = "https://www.pulumi.com/docs/install/"
PULUMI_INSTALL_HINT = (
    f"install it from {PULUMI_INSTALL_URL} "
    "(e.g. `curl -fsSL https://get.pulumi.com | sh`) and retry"
)
DEFAULT_PROJECT_NAME = "lattice-gateway"

Operation = Literal["preview", "up", "destroy", "refresh", "preview-destroy"]
OPERATIONS: tuple[str, ...] = get_args(Operation)

# What the CLI prints in place of a secret output when --show-secrets is not given.
SECRET_PLACEHOLDER = "[secret]"

# Number of stderr lines kept in errors: the CLI says why it failed at the end, and
# the step-by-step account is on stdout, which on_output has already streamed.
STDERR_TAIL_LINES = 20

# Skips the CLI's "a new version is available" check: a network call on every run.
_WORKSPACE_ENV = {"PULUMI_SKIP_UPDATE_CHECK": "true"}

# Stack names the CLI accepts: a name, optionally qualified as org/project/name.
_STACK_NAME = re.compile(r"^(?:[A-Za-z0-9_.-]+/){0,2}[A-Za-z0-9_.-]+$")
_PROJECT_FILE_NAMES = ("Pulumi.yaml", "Pulumi.yml")
_STACK_FILE_SUFFIXES = (".yaml", ".yml", ".json")


class AutomationError(Exception):
    """A Pulumi run that could not be done; ``str(e)`` says why and what to do."""

    exit_code: ClassVar[int] = 1


class PulumiNotInstalled(AutomationError):
    """No ``pulumi`` binary; ``str(e)`` is the one-line install hint."""

    exit_code: ClassVar[int] = PULUMI_MISSING_EXIT_CODE


class StackNotFound(AutomationError):
    """The stack does not exist in the backend (and was not to be created)."""

    def __init__(self, stack: str, *, work_dir: Path) -> None:
        self.stack = stack
        super().__init__(
            f"stack '{stack}' does not exist in the current backend (project {work_dir}); "
            f"create it with `pulumi stack init {stack}` or run `latticectl up --stack {stack}`"
        )


class StackLocked(AutomationError):
    """Another update holds the stack's lock (``ConcurrentUpdateError``)."""

    exit_code: ClassVar[int] = STACK_LOCKED_EXIT_CODE

    def __init__(self, stack: str, *, work_dir: Path, detail: str,
                 holders: Optional[list[LockHolder]] = None) -> None:
        self.stack = stack
        self.work_dir = work_dir
        self.detail = detail
        # From the backend's lock files (engine/locks.py); None where the backend keeps them.
        self.holders = holders
        message = (
            f"stack '{stack}' is locked by another update; wait for it to finish and retry. "
            f"Only if you know no update is running (a killed process left the lock), "
            f"run `pulumi cancel --stack {stack}` in {work_dir} and retry."
        )
        if holders:
            message += " Held by " + "; ".join(
                f"{holder}" + (", which is no longer running" if holder.gone else "") for holder in holders) + "."
        super().__init__(f"{message}\n{detail}" if detail else message)

    @property
    def holders_gone(self) -> bool:
        """Every holder is known, and provably gone: the lock protects nothing."""
        return bool(self.holders) and all(holder.gone for holder in self.holders)


class PulumiCommandFailed(AutomationError):
    """The ``pulumi`` CLI exited non-zero; carries the tail of its stderr."""

    def __init__(
        self, *, command: str, stack: str, cli_exit_code: Optional[int], stderr_tail: str
    ) -> None:
        self.command = command
        self.stack = stack
        self.cli_exit_code = cli_exit_code
        self.stderr_tail = stderr_tail
        status = f"exit code {cli_exit_code}" if cli_exit_code is not None else "failed"
        super().__init__(
            f"pulumi {command} for stack '{stack}' failed ({status}):\n{stderr_tail}".rstrip()
        )


def _default_work_dir() -> Path:
    """The repo root: it holds ``Pulumi.yaml`` and ``__main__.py``."""
    return Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class StackTarget:
    """Which stack to operate on and which program produces its resources.

    ``program`` is an inline program (the watch daemon's snapshot); ``None`` runs the
    project's own ``__main__.py`` from ``work_dir``.  For an inline program,
    ``project_name`` only matters when ``work_dir`` has no ``Pulumi.yaml`` (the
    Automation API then writes one there), and ``plugins`` names the provider
    plugins to install, each at the version of the installed ``pulumi_<name>`` package.
    """

    stack: str
    work_dir: Path = field(default_factory=_default_work_dir)
    program: Optional[Callable[[], None]] = None
    project_name: str = DEFAULT_PROJECT_NAME
    plugins: tuple[str, ...] = ("aws",)
    # Extra environment for the CLI and the program it runs (e.g. previous outputs).
    env: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.stack, str) or not _STACK_NAME.match(self.stack):
            raise AutomationError(
                f"invalid stack name {self.stack!r}: use letters, digits, '-', '_' or '.', "
                "optionally qualified as org/project/stack (e.g. 'dev')"
            )
        object.__setattr__(self, "work_dir", Path(self.work_dir).expanduser().resolve())


@dataclass(frozen=True)
class OperationResult:
    """What one operation did.

    ``summary`` counts resources per change kind (``{"create": 3, "same": 10}``);
    ``outputs`` holds the stack outputs after an ``up`` as plain values, secrets
    replaced by ``"[secret]"`` (read them with ``read_stack_outputs(show_secrets=True)``).
    """

    operation: Operation
    stack: str
    summary: dict[str, int]
    outputs: dict[str, Any]
    stdout: str

    @property
    def has_changes(self) -> bool:
        return any(count for kind, count in self.summary.items() if kind != "same")


def find_pulumi(explicit: Optional[str] = None) -> str:
    """Return the path of the ``pulumi`` binary, or raise :class:`PulumiNotInstalled`.

    ``explicit`` is a binary or an install root holding ``bin/pulumi``.  Without it
    we look on ``PATH``, then in ``$PULUMI_HOME/bin`` and ``~/.pulumi/bin``, where the
    official installer puts it (often not on a daemon's PATH).
    """
    if explicit:
        given = Path(explicit).expanduser()
        for candidate in (given, given / "bin" / "pulumi"):
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
        raise PulumiNotInstalled(
            f"pulumi CLI not found at {given} (expected the binary or an install root "
            f"holding bin/pulumi); {PULUMI_INSTALL_HINT}"
        )
    on_path = shutil.which("pulumi")
    if on_path:
        return on_path
    homes = [os.environ.get("PULUMI_HOME"), str(Path.home() / ".pulumi")]
    for home in filter(None, homes):
        candidate = Path(home) / "bin" / "pulumi"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise PulumiNotInstalled(f"pulumi CLI not found on PATH; {PULUMI_INSTALL_HINT}")


def make_pulumi_command(explicit: Optional[str] = None) -> auto.PulumiCommand:
    """A ``PulumiCommand`` for the binary :func:`find_pulumi` finds (runs ``pulumi version``).

    Build it once and pass it as ``pulumi_command`` to avoid a ``pulumi version``
    per operation (the daemon does).
    """
    binary = Path(find_pulumi(explicit))
    try:
        if binary.parent.name == "bin":
            # An absolute command also makes run() put its directory first on PATH,
            # so the language plugins bundled beside the binary are the ones used.
            return auto.PulumiCommand(root=str(binary.parent.parent))
        if shutil.which("pulumi") == str(binary):
            return auto.PulumiCommand()
    except FileNotFoundError as error:
        raise PulumiNotInstalled(
            f"pulumi CLI at {binary} could not be run ({error}); {PULUMI_INSTALL_HINT}"
        ) from None
    except auto.InvalidVersionError as error:
        raise AutomationError(f"unusable pulumi CLI at {binary}: {error}") from None
    except (subprocess.CalledProcessError, OSError) as error:
        raise AutomationError(f"`{binary} version` failed: {error}") from None
    raise AutomationError(
        f"pulumi CLI at {binary} is not inside a bin/ directory; pass its install root "
        "(the directory holding bin/pulumi) or put it on PATH"
    )


def stack_config_path(work_dir: Path, stack: str) -> Path:
    """The stack's config file, ``<stackConfigDir>/Pulumi.<stack>.yaml``, as the CLI resolves it.

    An existing ``.yml``/``.json`` variant wins over the ``.yaml`` default.  A
    qualified name (``org/project/dev``) uses its last part, as the CLI does.
    """
    work_dir = Path(work_dir)
    project_file = _project_file(work_dir)
    if project_file is None:
        raise AutomationError(
            f"no Pulumi.yaml in {work_dir}: pass the project root (the directory "
            "holding Pulumi.yaml) as the project directory"
        )
    try:
        project = yaml.safe_load(project_file.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise AutomationError(f"{project_file} is not valid YAML: {error}") from None
    if not isinstance(project, dict):
        raise AutomationError(
            f"{project_file} must be a mapping with at least 'name' and 'runtime'"
        )
    config_dir = project.get("stackConfigDir")
    if config_dir is not None and (not isinstance(config_dir, str) or not config_dir.strip()):
        raise AutomationError(
            f"{project_file}: stackConfigDir must be a directory path relative to the "
            f"project, got {config_dir!r}"
        )
    base = work_dir / config_dir if config_dir else work_dir
    stem = f"Pulumi.{stack.split('/')[-1]}"
    for suffix in _STACK_FILE_SUFFIXES:
        candidate = base / f"{stem}{suffix}"
        if candidate.exists():
            return candidate
    return base / f"{stem}.yaml"


def open_stack(
    target: StackTarget,
    *,
    create: bool = True,
    pulumi_command: Optional[auto.PulumiCommand] = None,
) -> auto.Stack:
    """Select the target's stack (creating it when ``create``), ready to run.

    For an inline program this also installs the provider plugins it needs.
    """
    stack = _select_stack(target, create=create, pulumi_command=pulumi_command)
    if target.program is not None:
        _install_inline_plugins(stack, target)
    return stack


def run_operation(
    target: StackTarget,
    operation: str,
    *,
    on_output: Optional[Callable[[str], None]] = None,
    on_event: Optional[Callable[[Any], None]] = None,
    refresh: bool = False,
    pulumi_command: Optional[auto.PulumiCommand] = None,
) -> OperationResult:
    """Run ``preview``, ``up``, ``destroy``, ``refresh`` or ``preview-destroy`` on the
    target's stack.

    ``on_output`` receives the CLI's stdout line by line as it runs, ``on_event`` the
    engine's events of a preview (each planned step: ``engine/changes.py``).  ``refresh``
    refreshes state from the cloud before a preview/up/destroy (drift).  Failures
    raise an :class:`AutomationError` subclass, never a raw Automation API error.
    """
    if operation not in OPERATIONS:
        raise ValueError(
            f"unknown operation {operation!r}; expected one of {', '.join(OPERATIONS)}"
        )
    # A first preview or up creates the stack; destroying or refreshing one that does not
    # exist is a mistake (a typo in --stack) better reported than papered over.
    stack = open_stack(target, create=operation in ("preview", "up"), pulumi_command=pulumi_command)
    try:
        return _run(stack, target, operation, on_output=on_output, on_event=on_event, refresh=refresh)
    except StackLocked as locked:
        raise StackLocked(target.stack, work_dir=target.work_dir, detail=locked.detail,
                          holders=lock_holders(stack)) from None
    except PulumiCommandFailed as failed:
        # The backend's lock files, not the error text, say whether an update holds the stack.
        holders = lock_holders(stack)
        if holders:
            raise StackLocked(target.stack, work_dir=target.work_dir, detail=failed.stderr_tail,
                              holders=holders) from None
        raise


def last_update_succeeded(target: StackTarget, *, pulumi_command: Optional[auto.PulumiCommand] = None) -> bool:
    """Whether the stack's latest update, destroy or refresh ended in success.  A
    cancelled or failed update may leave outputs behind that describe what it was
    about to do, not what Lattice holds."""
    stack = _select_stack(target, create=False, pulumi_command=pulumi_command)
    with _translated_errors(target, command="stack history"):
        history = stack.history(page_size=1, show_secrets=False)
    return bool(history) and history[0].result == "succeeded"


def lock_holders(stack: auto.Stack) -> Optional[list[LockHolder]]:
    """Who holds the stack's lock, from the backend; ``None`` when it cannot tell."""
    try:
        url = stack.workspace.who_am_i().url
        project = stack.workspace.project_settings().name
    except Exception:  # an older CLI, a backend that will not say: unknown, never guessed
        return None
    return stack_locks(url or "", project, stack.name)


def cancel_update(target: StackTarget, *, pulumi_command: Optional[auto.PulumiCommand] = None) -> None:
    """``pulumi cancel``: remove the stack's lock.  Only for a holder that is provably gone."""
    stack = _select_stack(target, create=False, pulumi_command=pulumi_command)
    with _translated_errors(target, command="cancel"):
        stack.cancel()


def _run(stack: auto.Stack, target: StackTarget, operation: str, *, on_output: Optional[Callable[[str], None]],
         on_event: Optional[Callable[[Any], None]], refresh: bool) -> OperationResult:
    with _translated_errors(target, command=operation):
        if operation in ("preview", "preview-destroy"):
            try:
                preview = (stack.preview(on_output=on_output, on_event=on_event, refresh=refresh)
                           if operation == "preview" else
                           stack.preview_destroy(on_output=on_output, on_event=on_event, refresh=refresh))
            except RuntimeError as error:
                # The builtin RuntimeError ("summary event never found"), not
                # pulumi.automation.RuntimeError, which is a CommandError.
                raise AutomationError(
                    f"pulumi preview for stack '{target.stack}' ended without the engine's "
                    f"summary event ({error}); rerun with `pulumi preview --stack "
                    f"{target.stack}` in {target.work_dir} to see the engine's output"
                ) from None
            return OperationResult(
                operation=operation,
                stack=target.stack,
                summary=_plain_counts(preview.change_summary),
                outputs={},
                stdout=preview.stdout,
            )
        if operation == "up":
            up = stack.up(on_output=on_output, on_event=on_event, refresh=refresh)
            return OperationResult(
                operation="up",
                stack=target.stack,
                summary=_plain_counts(up.summary.resource_changes),
                outputs=_plain_outputs(up.outputs, show_secrets=False),
                stdout=up.stdout,
            )
        if operation == "destroy":
            destroyed = stack.destroy(on_output=on_output, on_event=on_event, refresh=refresh)
            return OperationResult(
                operation="destroy",
                stack=target.stack,
                summary=_plain_counts(destroyed.summary.resource_changes),
                outputs={},
                stdout=destroyed.stdout,
            )
        refreshed = stack.refresh(on_output=on_output)
        return OperationResult(
            operation="refresh",
            stack=target.stack,
            summary=_plain_counts(refreshed.summary.resource_changes),
            outputs={},
            stdout=refreshed.stdout,
        )


def read_stack_outputs(
    target: StackTarget,
    *,
    show_secrets: bool = False,
    pulumi_command: Optional[auto.PulumiCommand] = None,
) -> dict[str, Any]:
    """The stack's current outputs as plain values; secrets masked unless ``show_secrets``.

    Raises :class:`StackNotFound` rather than creating the stack.
    """
    stack = _select_stack(target, create=False, pulumi_command=pulumi_command)
    with _translated_errors(target, command="stack output"):
        return _plain_outputs(stack.outputs(), show_secrets=show_secrets)


def _select_stack(
    target: StackTarget, *, create: bool, pulumi_command: Optional[auto.PulumiCommand]
) -> auto.Stack:
    if not target.work_dir.is_dir():
        raise AutomationError(f"project directory {target.work_dir} does not exist")
    if target.program is None and _project_file(target.work_dir) is None:
        raise AutomationError(
            f"no Pulumi.yaml in {target.work_dir}: pass the project root (the directory "
            "holding Pulumi.yaml and __main__.py) as the project directory"
        )
    options = auto.LocalWorkspaceOptions(
        work_dir=str(target.work_dir),
        env_vars={**_WORKSPACE_ENV, **target.env},
        pulumi_command=pulumi_command or make_pulumi_command(),
    )
    select = auto.create_or_select_stack if create else auto.select_stack
    with _translated_errors(target, command="stack select"):
        if target.program is None:
            return select(target.stack, work_dir=str(target.work_dir), opts=options)
        return select(
            target.stack,
            project_name=target.project_name,
            program=target.program,
            opts=options,
        )


def _install_inline_plugins(stack: auto.Stack, target: StackTarget) -> None:
    for plugin in target.plugins:
        version = _provider_package_version(plugin)
        with _translated_errors(target, command=f"plugin install resource {plugin} {version}"):
            stack.workspace.install_plugin(plugin, version)


def _provider_package_version(plugin: str) -> str:
    """``v<version>`` of the ``pulumi_<plugin>`` package: the plugin its SDK was built for."""
    package = f"pulumi_{plugin.replace('-', '_')}"
    try:
        return f"v{importlib.metadata.version(package)}"
    except importlib.metadata.PackageNotFoundError:
        raise AutomationError(
            f"the inline program needs the '{plugin}' provider plugin, but the Python "
            f"package {package} is not installed; pip install {package.replace('_', '-')}"
        ) from None


@contextmanager
def _translated_errors(target: StackTarget, *, command: str) -> Iterator[None]:
    """Turn the Automation API's ``CommandError``s into this module's typed errors."""
    try:
        yield
    except auto.ConcurrentUpdateError as error:
        detail = _tail(_command_result_of(error)[1])
        raise StackLocked(target.stack, work_dir=target.work_dir, detail=detail) from None
    except auto.StackNotFoundError:
        raise StackNotFound(target.stack, work_dir=target.work_dir) from None
    except auto.CommandError as error:
        code, stderr = _command_result_of(error)
        raise PulumiCommandFailed(
            command=command, stack=target.stack, cli_exit_code=code, stderr_tail=_tail(stderr)
        ) from None
    except auto.InvalidVersionError as error:  # e.g. inline refresh/destroy needs CLI >= 3.181
        raise AutomationError(f"pulumi {command} for stack '{target.stack}': {error}") from None
    except FileNotFoundError as error:
        # A PulumiCommand built earlier whose binary has since gone (the daemon outlives upgrades).
        if Path(str(error.filename)).name != "pulumi":
            raise
        raise PulumiNotInstalled(
            f"pulumi CLI not found at {error.filename}; {PULUMI_INSTALL_HINT}"
        ) from None


# CommandError keeps no CommandResult, only its str(): "\n code: N\n stdout: ...\n stderr: ...".
_COMMAND_RESULT_TEXT = re.compile(
    r"\A\s*code: (?P<code>-?\d+)\n stdout: (?P<stdout>.*?)\n stderr: (?P<stderr>.*)\Z", re.DOTALL
)


def _command_result_of(error: auto.CommandError) -> tuple[Optional[int], str]:
    text = str(error)
    match = _COMMAND_RESULT_TEXT.match(text)
    if match is None:
        return None, text
    stderr = match["stderr"].strip() or match["stdout"].strip()
    return int(match["code"]), stderr


def _tail(text: str, lines: int = STDERR_TAIL_LINES) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _project_file(work_dir: Path) -> Optional[Path]:
    for name in _PROJECT_FILE_NAMES:
        candidate = work_dir / name
        if candidate.is_file():
            return candidate
    return None


def _plain_counts(changes: Optional[Mapping[Any, int]]) -> dict[str, int]:
    """Change counts keyed by plain strings (``OpType`` members or the CLI's own keys)."""
    return {
        str(getattr(kind, "value", kind)): int(count) for kind, count in (changes or {}).items()
    }


def _plain_outputs(outputs: auto.OutputMap, *, show_secrets: bool) -> dict[str, Any]:
    """Plain values, with outputs the engine does not know yet left out (never an ID to use)."""
    return known({
        name: (output.value if show_secrets or not output.secret else SECRET_PLACEHOLDER)
        for name, output in outputs.items()
    })
