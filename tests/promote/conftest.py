from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from lattice_program.promote import recorder
from lattice_program.promote.promotion import Promoter
from lattice_program.promote.stacks import STORE_ENV
from tests.promote.doubles import DEV_VPC, FakeEngine, make_project
from tests.support.lattice_emulator import LatticeEmulator


class World:
    """A project, the engine double, the Lattice emulator, and a clock that can move on."""

    def __init__(self, root, emulator) -> None:
        self.root = make_project(root)
        self.engine = FakeEngine()
        self.emulator = emulator
        self.now = datetime.now(timezone.utc)
        self.promoter = Promoter(self.root, self.engine, lattice_client=lambda stack: emulator.client(),
                                 clock=lambda: self.now, resolve=lambda name: False)

    def later(self, **delta) -> None:
        self.now += timedelta(**delta)

    def serving(self, stack: str, *, healthy: bool = True) -> None:
        """Make the emulator hold one serving Lattice service (and target group) for ``stack``'s outputs."""
        if stack in self.engine.outputs_of:
            return
        client = self.emulator.client()
        service = client.create_service(name=f"checkout-{stack}")
        group = client.create_target_group(name=f"checkout-{stack}", type="IP", config={
            "port": 80, "protocol": "HTTP", "vpcIdentifier": DEV_VPC, "ipAddressType": "IPV4"})
        client.create_listener(serviceIdentifier=service["id"], name="http-80", protocol="HTTP", port=80,
                               defaultAction={"forward": {"targetGroups": [{"targetGroupIdentifier": group["id"]}]}})
        if healthy:
            client.register_targets(targetGroupIdentifier=group["id"], targets=[{"id": "10.0.0.7", "port": 8080}])
        self.engine.outputs_of[stack] = {"HTTPRoute/shop/checkout": {"serviceId": service["id"]},
                                         "targetGroups": {"checkout": group["id"]}}

    def up_dev(self):
        """What a successful `latticectl up --stack dev` leaves: the stack applied, the release recorded."""
        objects = recorder.read_inputs(self.root, self.promoter.stack("dev"))
        from lattice_program.promote.canonical import snapshot_digest

        self.engine.applied["dev"] = snapshot_digest(objects)
        return recorder.record_applied(self.root, "dev", objects)

    def verified_dev(self, soak_minutes: int = 31):
        release = self.up_dev()
        self.serving("dev")
        assert self.promoter.verify(self.promoter.stack("dev")).passed
        self.later(minutes=soak_minutes)
        return release

    def stack_file(self, stack: str) -> str:
        return (self.root / "stacks" / f"Pulumi.{stack}.yaml").read_text()


@pytest.fixture
def emulator():
    with LatticeEmulator() as emu:
        yield emu
        assert emu.internal_errors == []


@pytest.fixture
def world(tmp_path, emulator, monkeypatch):
    monkeypatch.delenv(STORE_ENV, raising=False)
    return World(tmp_path / "platform", emulator)


@pytest.fixture
def cli(world, monkeypatch):
    """latticectl on the world's project: the engine double, boto3 sent to the emulator."""
    from cli import promote as commands
    from cli.main import app

    for key, value in world.emulator.environ().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(commands, "make_engine", lambda project_dir, echo: world.engine)
    # The world's promoter: its clock (soak time) and the emulator as its Lattice client.
    monkeypatch.setattr(commands, "make_promoter", lambda project_dir, echo=None: world.promoter)

    def invoke(*args: str, code: int = 0):
        result = CliRunner().invoke(app, [*args, "--project-dir", str(world.root)])
        assert result.exit_code == code, result.output
        return result
    return invoke
