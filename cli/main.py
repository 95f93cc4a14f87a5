"""latticectl: plan offline, apply through the Automation API, sync targets.

Exit codes: ``cli/exit_codes.py`` (docs/exit-codes.md is generated from it).

Imports are deferred into the commands: ``latticectl --help`` must not load Pulumi,
pulumi-aws or botocore.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import List, NoReturn, Optional

import typer
from typing_extensions import Annotated

from .exit_codes import ExitCode
from .help_text import FullDescriptions
from .terminal import echo, echo_tool_line, printable
from .graph import GraphFormat
from .options import ProjectDir, UNSET_PROJECT_DIR

EXIT_FAILED = ExitCode.FAILED
EXIT_USAGE = ExitCode.USAGE

app = typer.Typer(
    name="latticectl",
    help="Kubernetes Gateway API to Amazon VPC Lattice, through Pulumi.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=FullDescriptions,
    context_settings={"help_option_names": ["-h", "--help"]},
)
targets_app = typer.Typer(help="Target membership: synced directly with VPC Lattice, not through Pulumi state.",
                          no_args_is_help=True, cls=FullDescriptions)
app.add_typer(targets_app, name="targets")


class OutputFormat(str, Enum):
    tree = "tree"
    json = "json"


ExcludeOption = Annotated[Optional[List[str]], typer.Option("--exclude", help="Leave out files and directories matching this glob (relative to a PATH directory, or a name); repeat for several.", show_default=False)]
StackOption = Annotated[Optional[str], typer.Option("--stack", "-s", help="Stack whose settings to use (stacks/Pulumi.<stack>.yaml).")]
Paths = Annotated[Optional[List[str]], typer.Argument(help="YAML files or directories (recursive); '-' reads standard input.",
                                                      show_default=False)]
ContextOption = Annotated[Optional[str], typer.Option("--context", help="Read the objects from this kubeconfig context instead of files.")]
VpcOption = Annotated[Optional[str], typer.Option("--vpc-id", help="The cluster's VPC (overrides the stack's lattice-gateway:vpcId).")]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Go ahead without asking (needed without a terminal).")]
OutputOption = Annotated[OutputFormat, typer.Option("--output", "-o", help="tree for people, json for machines.")]
ClusterOption = Annotated[Optional[str], typer.Option("--cluster-name", help="Cluster name used in tags (overrides lattice-gateway:clusterName).")]


def _default_project_dir() -> Path:
    return UNSET_PROJECT_DIR  # replaced by the option's callback when not given


def _fail(message: str, code: int = EXIT_FAILED) -> NoReturn:
    typer.echo(f"latticectl: {printable(message)}", err=True)
    raise typer.Exit(code)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        echo(f"latticectl {version('lattice-gateway')}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    """Kubernetes Gateway API to Amazon VPC Lattice, through Pulumi."""


@app.command()
def plan(
    paths: Paths = None,
    stack: StackOption = None,
    vpc_id: VpcOption = None,
    cluster_name: ClusterOption = None,
    context: ContextOption = None,
    output: Annotated[OutputFormat, typer.Option("--output", "-o", help="tree for people, json for machines (docs/plan-format.md).")] = OutputFormat.tree,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when any object is refused (for CI gates); the plan is still printed.")] = False,
    exclude: ExcludeOption = None,
    project_dir: ProjectDir = _default_project_dir(),
) -> None:
    """Show the VPC Lattice resources and targets the program would create. Offline: no AWS, no cluster, no Pulumi CLI."""
    from . import render

    document, refused, inputs = _plan_document(paths, stack, vpc_id, cluster_name, context, project_dir,
                                               excludes=exclude or ())
    if output is OutputFormat.json:
        render.print_json(document)
    else:
        render.print_tree(document, inputs.lines)
    if inputs.failures:  # a partial read: whatever --strict says, this plan must not pass
        _fail(f"the cluster read is incomplete ({len(inputs.failures)} kind(s) not listed: "
              f"{'; '.join(inputs.failures[:3])}), so this plan is partial; fix the access and plan again", EXIT_FAILED)
    if strict and refused:
        raise typer.Exit(EXIT_FAILED)


def _plan_document(paths, stack, vpc_id, cluster_name, context, project_dir: Path, *, excludes=()):
    """The offline plan (docs/plan-format.md) and whether any object was refused; bad
    input exits 2 with its message."""
    from components.sharing import setting_problems
    from lattice_program.program.declare import declare
    from lattice_program.program.mock_plan import record_program
    from lattice_program.contract.pipeline import plan as make_plan
    from lattice_program.program.plan_document import plan_document

    from . import render
    from .inputs import InputError, load_inputs, load_settings
    from .terminal import progress_on_stderr

    try:
        settings = load_settings(project_dir, stack, vpc_id=vpc_id, cluster_name=cluster_name)
        inputs = load_inputs(paths, context, settings, project_dir, excludes=excludes, progress=progress_on_stderr(),
                             stack=stack)
    except InputError as error:
        _fail(str(error), EXIT_USAGE)
    result = make_plan(inputs.objects, settings)
    # With the settings, as `up` reads them from config: what the stack shares and reuses is planned too.
    resources = record_program(lambda: declare(result.model, settings=settings), stack=stack or "plan")
    notes = inputs.notes + render.settings_notes(settings) + setting_problems(settings, result.model)
    document = plan_document(resources, result.model, result.statuses, notes + list(result.problems),
                             controller_name=settings.controller_name)
    return document, bool(result.errors), inputs


@app.command()
def graph(
    paths: Paths = None,
    stack: StackOption = None,
    vpc_id: VpcOption = None,
    cluster_name: ClusterOption = None,
    context: ContextOption = None,
    graph_format: Annotated[Optional[GraphFormat], typer.Option("--format", "-f", help="mermaid or dot text, svg (needs Graphviz's dot), one self-contained html page, or the graph as json. Default: from --output's suffix, else mermaid.")] = None,
    output_file: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the graph to this file instead of standard output.", dir_okay=False)] = None,
    exclude: ExcludeOption = None,
    project_dir: ProjectDir = _default_project_dir(),
) -> None:
    """Draw the plan: Kubernetes objects to VPC Lattice resources, weights on the edges, refused objects with their reason. Offline."""
    from lattice_program.inspect.graph_svg import GraphvizFailed, GraphvizMissing

    from .graph import format_for, render

    document, _, inputs = _plan_document(paths, stack, vpc_id, cluster_name, context, project_dir,
                                         excludes=exclude or ())
    if inputs.failures:  # a picture of a partial read would show objects as gone
        _fail(f"the cluster read is incomplete ({len(inputs.failures)} kind(s) not listed: "
              f"{'; '.join(inputs.failures[:3])}); fix the access and draw again", EXIT_FAILED)
    chosen = format_for(graph_format, output_file)
    try:
        text = render(document, chosen)
    except GraphvizMissing as error:
        _fail(str(error), ExitCode.TOOL_MISSING)
    except GraphvizFailed as error:
        _fail(str(error), EXIT_FAILED)
    if output_file is None:
        typer.echo(text, nl=False)
        return
    try:
        output_file.write_text(text, encoding="utf-8")
    except OSError as error:
        _fail(f"cannot write the graph to {output_file}: {error.strerror or error}", EXIT_USAGE)


def _operation(operation: str, stack: str, project_dir: Path, refresh: bool, *, yes: bool = False,
               output: "OutputFormat" = None, confirm_stack: Optional[str] = None) -> None:
    """``preview`` shows; ``up`` and ``destroy`` preview first, show the changes per
    Kubernetes object, and ask (``--yes`` answers; with no terminal to ask, they refuse)."""
    from lattice_program.engine import automation
    from lattice_program.engine.changes import ObjectChanges
    from lattice_program.engine.interrupts import graceful_interrupts
    from lattice_program.program import stack as stack_program

    from .progress import live_progress

    as_json = output is OutputFormat.json
    show_line = (lambda line: None) if as_json else echo_tool_line
    previewing = live_progress(enabled=not as_json, planning=True)
    with graceful_interrupts() as interrupts:
        try:
            automation.find_pulumi()
            # The program keeps rule priorities already applied (priorities.py).
            previous = _previous_outputs(automation, stack, project_dir) if operation in ("preview", "up") else {}
            target = automation.StackTarget(stack=stack, work_dir=project_dir,
                                            program=_stack_program(stack_program, project_dir, previous, stack))
            recording = _begin_recording(project_dir, stack) if operation == "up" else None
            changes = ObjectChanges()
            planned = automation.run_operation(target, "preview-destroy" if operation == "destroy" else "preview",
                                               on_output=show_line, on_event=_each(changes.on_event, previewing),
                                               refresh=refresh)
            result = planned
            if operation != "preview" and _changes_anything(planned.summary):
                if not as_json:
                    _print_changes(stack, changes)
                _confirm(operation, stack, project_dir, yes=yes, confirm_stack=confirm_stack, changes=changes)
                applying = live_progress(enabled=not as_json, planning=False)
                result = automation.run_operation(target, operation, on_output=show_line, refresh=refresh,
                                                  on_event=_each(applying))
        except automation.AutomationError as error:
            if interrupts.received:
                _fail(f"{operation} of stack {stack} was cancelled by {interrupts.received}: the operations in "
                      "flight finished, state was saved and the stack is not locked; run it again to go on",
                      EXIT_FAILED)
            _fail(str(error), error.exit_code)
    if recording is not None:
        echo(recording.finish(), err=as_json)  # stdout stays one JSON document
    if as_json:
        from . import render

        render.print_json({"stack": stack, "operation": operation, "applied": result is not planned,
                           "summary": result.summary, "changes": changes.plain()})
        return
    summary = ", ".join(f"{kind} {count}" for kind, count in sorted(result.summary.items()))
    echo(f"{operation} of stack {stack}: {summary or 'no changes'}")


def _each(*listeners):
    """One ``on_event`` callback calling every listener given (a ``None`` is no listener)."""
    callbacks = [getattr(listener, "on_event", listener) for listener in listeners if listener is not None]
    if not callbacks:
        return None

    def on_event(event) -> None:
        for callback in callbacks:
            callback(event)
    return on_event


def _changes_anything(summary: dict) -> bool:
    return any(count for kind, count in summary.items() if kind not in ("same", "read"))


def _print_changes(stack: str, changes) -> None:
    echo(f"\nChanges to stack {stack}, by Kubernetes object:")
    for key, ops in changes.plain().items():
        echo(f"  {printable(key)}: " + ", ".join(f"{count} {op}" for op, count in ops.items()))


def _confirm(operation: str, stack: str, project_dir: Path, *, yes: bool, confirm_stack: Optional[str],
             changes) -> None:
    """Ask before changing anything; a protected stack's destroy wants its name typed."""
    from .inputs import InputError, load_settings

    protected, unreadable = False, None
    if operation == "destroy":
        try:
            protected = load_settings(project_dir, stack).protect
        except InputError as error:
            # Settings that cannot be read cannot show that the stack is not protected.
            protected, unreadable = True, error
    interactive = sys.stdin.isatty()
    if protected:
        if confirm_stack == stack:
            return
        if not interactive and unreadable is not None:
            _fail(f"stack {stack} may be protected: its settings cannot be read ({unreadable}): destroy it only "
                  f"with --confirm-stack {stack}, or from a terminal", EXIT_USAGE)
        if not interactive:
            _fail(f"stack {stack} is protected (lattice-gateway:protect): destroy it only with --confirm-stack "
                  f"{stack}, or from a terminal", EXIT_USAGE)
        if typer.prompt(f"Stack {stack} is protected. Type its name to destroy it") != stack:
            _fail("the name did not match; nothing was changed", EXIT_FAILED)
        return
    if yes:
        return
    if not interactive:
        total = sum(count for ops in changes.plain().values() for count in ops.values())
        _fail(f"{operation} of stack {stack} would change {total} resource(s) and there is no terminal to ask; "
              "nothing was changed: pass --yes to go ahead", EXIT_USAGE)
    if not typer.confirm(f"Do you want to {operation} stack {stack}?", default=False):
        _fail("nothing was changed", EXIT_FAILED)


def _begin_recording(project_dir: Path, stack: str):
    """Every successful ``up`` records the release it applied (promote/recorder.py)."""
    from lattice_program.promote.recorder import begin_up

    return begin_up(project_dir, stack)


def _stack_program(stack_program, project_dir: Path, previous: dict, stack: Optional[str] = None):
    """The project's own program (what ``__main__.py`` runs), as an inline program: it
    runs in this process, so no Python language host is needed beside the CLI.  A stack
    whose input is a promoted release runs the program on that release; a protected
    stack's service networks get Pulumi's protect (promote/recorder.py)."""
    from lattice_program.promote.recorder import stack_program as promoted_or

    def program() -> None:
        stack_program.run(project_dir, previous=previous)
    return promoted_or(project_dir, stack, previous, program) if stack else program


def _previous_outputs(automation, stack: str, project_dir: Path) -> dict:
    try:
        return automation.read_stack_outputs(automation.StackTarget(stack=stack, work_dir=project_dir))
    except automation.StackNotFound:
        return {}


@app.command()
def preview(stack: Annotated[str, typer.Option("--stack", "-s", help="Stack to preview.")],
            refresh: Annotated[bool, typer.Option(help="Refresh state from AWS first (shows drift).")] = False,
            output: OutputOption = OutputFormat.tree,
            project_dir: ProjectDir = _default_project_dir()) -> None:
    """Preview the stack's changes through the Automation API (needs the pulumi CLI)."""
    _operation("preview", stack, project_dir, refresh, output=output)


@app.command()
def up(stack: Annotated[str, typer.Option("--stack", "-s", help="Stack to update.")],
       refresh: Annotated[bool, typer.Option(help="Refresh state from AWS first (repairs drift).")] = False,
       yes: YesOption = False,
       output: OutputOption = OutputFormat.tree,
       project_dir: ProjectDir = _default_project_dir()) -> None:
    """Preview, ask, then apply the stack through the Automation API (needs the pulumi CLI and AWS credentials)."""
    _operation("up", stack, project_dir, refresh, yes=yes, output=output)


@app.command()
def destroy(stack: Annotated[str, typer.Option("--stack", "-s", help="Stack to destroy.")],
            yes: YesOption = False,
            confirm_stack: Annotated[Optional[str], typer.Option("--confirm-stack", help="The stack's name, to destroy a protected stack without a terminal.")] = None,
            output: OutputOption = OutputFormat.tree,
            project_dir: ProjectDir = _default_project_dir()) -> None:
    """Preview, ask, then delete every resource of the stack (needs the pulumi CLI and AWS credentials)."""
    _operation("destroy", stack, project_dir, False, yes=yes, output=output, confirm_stack=confirm_stack)


class DriftMode(str, Enum):
    warn = "warn"
    remediate = "remediate"


class LogFormat(str, Enum):
    text = "text"
    json = "json"


@app.command()
def watch(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack to keep converged.")],
    context: Annotated[Optional[List[str]], typer.Option("--context", help="Kubeconfig context of a cluster (CTX for a one-cluster stack, CLUSTER=CTX otherwise); repeat for several. Default: the stack settings' contexts.")] = None,
    debounce: Annotated[str, typer.Option(help="Quiet time after a change before converging.")] = "2s",
    max_wait: Annotated[str, typer.Option("--max-wait", help="Longest a change waits for a converge, however busy the clusters.")] = "30s",
    resync: Annotated[str, typer.Option(help="How often to look for drift (refresh + preview), with 10% jitter.")] = "10m",
    max_deletions: Annotated[int, typer.Option("--max-deletions", help="Refuse an update that deletes or replaces more resources than this (Stalled until a person runs `latticectl up`).")] = 25,
    drift: Annotated[DriftMode, typer.Option(help="warn: report drift; remediate: apply the stack back over it.")] = DriftMode.warn,
    metrics_addr: Annotated[str, typer.Option("--metrics-addr", help="Where /healthz, /readyz and /metrics are served; '' for nowhere.")] = ":8080",
    log_format: Annotated[LogFormat, typer.Option("--log-format", help="text for people, json for log pipelines.")] = LogFormat.text,
    grace_period: Annotated[str, typer.Option("--grace-period", help="After SIGTERM, how long an update in flight may finish before it is cancelled cleanly.")] = "60s",
    once: Annotated[bool, typer.Option("--once", help="Sync, converge once and exit: 0 converged, 1 not (for CI and cron).")] = False,
    leader_elect: Annotated[bool, typer.Option("--leader-elect", help="Run as one of several replicas: only the holder of the stack's Lease (in the first cluster) converges.")] = False,
    lease_namespace: Annotated[str, typer.Option("--lease-namespace", help="Namespace of the Lease lattice-gateway-<stack>.")] = "lattice-gateway",
    project_dir: ProjectDir = _default_project_dir(),
) -> None:
    """Watch the stack's clusters and keep VPC Lattice converged to them through the Automation API (needs the pulumi CLI)."""
    import logging
    import signal

    from lattice_program.engine import automation
    from lattice_program.engine.interrupts import interrupt_pulumi
    from lattice_program.vocabulary.settings import SettingsError
    from lattice_program.watch import logs
    from lattice_program.watch.cache import ClusterCache
    from lattice_program.watch.daemon import Daemon, WatchOptions, cluster_contexts, connect_cluster, lease_name
    from lattice_program.watch.leader import LeaderElector
    from lattice_program.watch.stack_engine import AutomationStackEngine
    from lattice_program.watch.status_writer import StatusWriter

    from .inputs import InputError, aws_region, duration, load_settings

    logs.configure(log_format.value)
    try:
        settings = load_settings(project_dir, stack)
        options = WatchOptions(stack=stack, contexts=tuple(context or ()), debounce=duration(debounce, "--debounce"),
                               max_wait=duration(max_wait, "--max-wait"), resync=duration(resync, "--resync"),
                               max_deletions=max_deletions, drift=drift.value, metrics_addr=metrics_addr or None,
                               once=once, grace=duration(grace_period, "--grace-period"))
        contexts = cluster_contexts(settings, options.contexts)
        automation.find_pulumi()
    except (InputError, SettingsError, ValueError) as error:
        _fail(str(error), EXIT_USAGE)
    except automation.AutomationError as error:
        _fail(str(error), error.exit_code)
    log = logging.getLogger("lattice_program.watch")
    engine = AutomationStackEngine(stack, settings, work_dir=project_dir, on_output=log.debug)
    try:
        clients = {name: connect_cluster(cluster_context) for name, cluster_context in contexts.items()}
    except Exception as error:  # a kubeconfig that cannot be used: ClusterUnavailable names it
        _fail(str(error), EXIT_USAGE)
    region = aws_region(project_dir, stack)
    lattice = _lazy_lattice_client(region)
    elector = None
    if leader_elect and not once:
        first = next(iter(clients.values()))
        elector = LeaderElector(first, lease_namespace, lease_name(stack),
                                on_started_leading=lambda: daemon.became_leader())
    daemon = Daemon(options, settings, engine, caches={},
                    status_writer=StatusWriter(clients, controller_name=settings.controller_name),
                    lattice_client=lattice, elector=elector, **_release_hooks(project_dir, stack, settings))
    try:
        for name, api_client in clients.items():
            daemon.caches[name] = ClusterCache(api_client, name,
                                               on_change=daemon.on_change)
    except Exception as error:
        daemon.stop()
        for cache in daemon.caches.values():
            cache.stop()
        _fail(str(error), EXIT_USAGE)

    def stop(signum: int, _frame: object) -> None:
        if daemon.stop_event.is_set():  # the second signal: cancel the update in flight now, cleanly
            interrupt_pulumi()
        log.info("%s: stopping", signal.Signals(signum).name)
        daemon.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    raise typer.Exit(daemon.run())


class ManifestFormat(str, Enum):
    yaml = "yaml"
    json = "json"


def _release_hooks(project_dir: Path, stack: str, settings) -> dict:
    """The daemon's ties to promotion (watch and promote are sibling rooms, joined here):
    a frozen stack takes no converge, and each successful update records its release."""
    from lattice_program.promote.recorder import converge_refusal, record_applied

    def on_applied(observation) -> Optional[str]:
        try:
            record_applied(project_dir, stack, observation.objects, operation="watch")
        except Exception as error:  # never turns a successful update into a failure
            return f"release not recorded: {error}"
        return None

    return {"refusal": lambda: converge_refusal(settings), "on_applied": on_applied}


@app.command("render-daemon")
def render_daemon(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack the daemon keeps converged.")],
    image: Annotated[str, typer.Option("--image", help="Container image holding latticectl, the pulumi CLI and the aws plugin.")],
    namespace: Annotated[str, typer.Option("--namespace", help="Namespace of the daemon and its Lease.")] = "lattice-gateway",
    role_arn: Annotated[Optional[str], typer.Option("--role-arn", help="IAM role for the ServiceAccount (IRSA).")] = None,
    replicas: Annotated[int, typer.Option("--replicas", min=1, help="Replicas; one leads, the others stand by.")] = 2,
    backend_url: Annotated[Optional[str], typer.Option("--backend-url", help="Where the stack's state lives (s3://...); default Pulumi Cloud.")] = None,
    output: Annotated[ManifestFormat, typer.Option("--output", "-o", help="yaml for kubectl apply -f -, json (a List) for machines.")] = ManifestFormat.yaml,
) -> None:
    """Print the watch daemon's Kubernetes objects as YAML (or JSON): least-privilege RBAC, a hardened Deployment, PDB, metrics Service."""
    import yaml

    from lattice_program.deploy.manifests import daemon_objects

    objects = daemon_objects(stack, namespace=namespace, image=image, role_arn=role_arn, replicas=replicas,
                             backend_url=backend_url)
    if output is ManifestFormat.json:
        from . import render

        render.print_json({"apiVersion": "v1", "kind": "List", "items": objects})
        return
    typer.echo(yaml.safe_dump_all(objects, sort_keys=False), nl=False)


def _lazy_lattice_client(region: Optional[str]):
    """A VPC Lattice client made on first use (boto3 is heavy) and then kept."""
    made = []

    def client():
        if not made:
            import boto3

            made.append(boto3.client("vpc-lattice", region_name=region))
        return made[0]
    return client


@targets_app.command("sync")
def targets_sync(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack whose target groups to fill (IDs from its outputs).")],
    paths: Paths = None,
    context: ContextOption = None,
    exclude: ExcludeOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report the changes without making them.")] = False,
    allow_empty: Annotated[bool, typer.Option("--allow-empty", help="Deregister every target of a group whose Service has no endpoints.")] = False,
    region: Annotated[Optional[str], typer.Option("--region", help="AWS region (default: the stack's aws:region, then the AWS config).")] = None,
    output: Annotated[OutputFormat, typer.Option("--output", "-o", help="tree for people, json for machines.")] = OutputFormat.tree,
    project_dir: ProjectDir = _default_project_dir(),
) -> None:
    """Register each target group's endpoints with VPC Lattice: ListTargets, then Register/DeregisterTargets."""
    from lattice_program.engine import automation
    from lattice_program.contract.pipeline import plan as make_plan
    from lattice_program.engine.targets import desired_by_group_id, report_to_dict, sync_targets

    from . import render
    from .inputs import InputError, aws_region, load_inputs, load_settings
    from .terminal import progress_on_stderr

    try:
        settings = load_settings(project_dir, stack)
        inputs = load_inputs(paths, context, settings, project_dir, excludes=exclude or (),
                             progress=progress_on_stderr())
    except InputError as error:
        _fail(str(error), EXIT_USAGE)
    result = make_plan(inputs.objects, settings)
    try:
        automation.find_pulumi()
        outputs = automation.read_stack_outputs(automation.StackTarget(stack=stack, work_dir=project_dir))
    except automation.AutomationError as error:
        _fail(str(error), error.exit_code)
    desired, unknown_groups = desired_by_group_id(result.model, outputs, complete=inputs.complete)
    for key in unknown_groups:
        echo(f"latticectl: target group {printable(key)} is not in the stack's outputs yet; run `latticectl up --stack {stack}` first", err=True)
    import boto3

    client = boto3.client("vpc-lattice", region_name=region or aws_region(project_dir, stack))
    report = sync_targets(client, desired, dry_run=dry_run, allow_empty=allow_empty)
    if output is OutputFormat.json:
        render.print_json(report_to_dict(report))
    else:
        render.print_sync_report(report)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


from .doctor import doctor as _doctor  # noqa: E402 (the command lives in its own module)

app.command("doctor")(_doctor)

from .adopt import adopt as _adopt  # noqa: E402 (the command lives in its own module)

app.command("adopt")(_adopt)

from .services import services as _services  # noqa: E402 (the command lives in its own module)

app.command("services")(_services)


from cli import promote as _promote_commands  # noqa: E402  (promote, rollback, verify, freeze, history, diff…)

_promote_commands.register(app)


def run() -> None:
    """Console-script entry point."""
    app(prog_name="latticectl")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
