"""Hostile input (issue 12): ``latticectl plan FILE`` in CI runs on manifests from pull
requests.  Each case runs the real command in a subprocess held to 1 GiB of address
space and a time limit, and asserts the one-line message and exit code 2."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lattice_program.sources.files import MAX_SOURCE_BYTES
from lattice_program.sources.yaml_documents import MAX_OBJECT_BYTES, YamlRefused, documents

ROOT = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 1 << 30
SECONDS = 30


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def plan(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "cli.main", "plan", *args], cwd=ROOT, input=stdin,
                            capture_output=True, timeout=SECONDS, preexec_fn=_limit_memory)
    result.elapsed = time.monotonic() - started
    result.err = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in result.err and "MemoryError" not in result.err, result.err[-2000:]
    return result


def refused(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, (result.returncode, result.err[-2000:])
    assert result.err.count("\n") == 1, result.err  # one line
    return result.err


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """A flow sequence of nested anchors: ``width ** levels`` leaves from a few hundred bytes."""
    parts = ["&l0 [" + ", ".join(["lol"] * width) + "]"]
    parts += [f"&l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "[" + ", ".join(parts) + "]"


BOMB_PLACES = {
    "metadata.name": "apiVersion: v1\nkind: Service\nmetadata:\n  name: {bomb}\nspec: {{ports: [{{port: 80}}]}}\n",
    "route spec": ("apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: r}}\n"
                   "spec:\n  rules: {bomb}\n"),
    "annotations": ("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  annotations:\n    x: {bomb}\n"
                    "spec: {{ports: [{{port: 80}}]}}\n"),
    "IAMAuthPolicy": ("apiVersion: application-networking.k8s.aws/v1alpha1\nkind: IAMAuthPolicy\n"
                      "metadata: {{name: p}}\nspec:\n  targetRef: {{group: gateway.networking.k8s.io, kind: Gateway, "
                      "name: g}}\n  policy: {bomb}\n"),
}


@pytest.mark.parametrize("place", sorted(BOMB_PLACES))
def test_an_alias_bomb_is_refused_by_file_and_line_quickly(tmp_path: Path, place: str):
    file = tmp_path / "bomb.yaml"
    file.write_text("# from a pull request\n" + BOMB_PLACES[place].format(bomb=alias_bomb()))
    assert file.stat().st_size < 1000
    message = refused(plan(str(file)))
    assert f"{file}: line 2: the document's aliases (*name) expand it from " in message
    assert "excessive aliasing" in message and "lol" not in message
    assert len(message) < 400


def test_an_alias_that_contains_itself_is_refused():
    with pytest.raises(YamlRefused, match="refers to the node that contains it") as raised:
        list(documents("apiVersion: v1\nkind: Service\nmetadata: &m\n  name: x\n  self: *m\n"))
    assert raised.value.line == 3


def test_aliases_a_person_writes_are_read():
    text = ("apiVersion: v1\nkind: Service\nmetadata: {name: s, labels: &labels {app: web, tier: front}}\n"
            "spec:\n  selector: *labels\n  ports: [{port: 80}]\n")
    [document] = documents(text)
    assert document.body["spec"]["selector"] == {"app": "web", "tier": "front"}


def test_an_object_over_etcds_request_limit_is_refused(tmp_path: Path):
    file = tmp_path / "big.yaml"
    small = "apiVersion: v1\nkind: Service\nmetadata: {name: small}\n"
    file.write_text(small + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  blob: "
                    + "x" * (MAX_OBJECT_BYTES + 10) + "\n")
    message = refused(plan(str(file)))
    assert f"{file}: line 5: an object of 1.5 MiB; Kubernetes stores objects of at most 1.5 MiB" in message
    assert "--max-request-bytes" in message


def test_an_oversized_source_set_is_refused_before_it_is_read(tmp_path: Path):
    file = tmp_path / "huge.yaml"
    with open(file, "wb") as stream:  # sparse: the size is there, the bytes are not
        stream.truncate(200 * 1_048_576)
    result = plan(str(file))
    message = refused(result)
    assert f"the sources hold more than {MAX_SOURCE_BYTES // 1_048_576} MiB of YAML (reached at {file})" in message
    assert result.elapsed < 10


def test_oversized_standard_input_is_refused(tmp_path: Path):
    message = refused(plan("-", stdin=b"# x\n" * (MAX_SOURCE_BYTES // 4 + 1)))
    assert message.startswith(f"latticectl: <stdin>: more than {MAX_SOURCE_BYTES // 1_048_576} MiB of YAML")


def test_a_nul_byte_is_named_by_file_and_line(tmp_path: Path):
    file = tmp_path / "nul.yaml"
    file.write_bytes(b"apiVersion: v1\nkind: Service\nmetadata:\n  name: a\x00b\n")
    message = refused(plan(str(file)))
    assert f"{file}: line 4: a NUL byte (#x0000), which YAML does not allow" in message
    assert "<unicode string>" not in message and "position" not in message


def test_duplicate_keys_are_refused_with_both_lines(tmp_path: Path):
    file = tmp_path / "dup.yaml"
    file.write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: first\n  namespace: shop\n  name: second\n")
    message = refused(plan(str(file)))
    assert f"{file}: line 6: key 'name' is set twice in one mapping (first at line 4)" in message


def test_duplicate_keys_in_a_flow_mapping_and_merges_that_override():
    with pytest.raises(YamlRefused, match="key 'port' is set twice"):
        list(documents("spec: {port: 80, port: 81}\n"))
    [document] = documents("base: &b {port: 80}\nspec:\n  <<: *b\n  port: 81\n")
    assert document.body["spec"] == {"port": 81}


def test_python_tags_are_refused_without_running_anything(tmp_path: Path):
    marker = tmp_path / "ran"
    file = tmp_path / "tag.yaml"
    file.write_text(f'apiVersion: v1\nkind: Service\nmetadata:\n  name: !!python/object/apply:os.system ["touch {marker}"]\n')
    message = refused(plan(str(file)))
    assert "could not determine a constructor for the tag" in message and "line 4" in message
    assert not marker.exists()


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("deep.yaml", b"[" * 100_000, "maximum nesting depth"),
    ("deep-block.yaml", b"".join(b"  " * i + b"a:\n" for i in range(3000)), "malformed YAML"),
    ("binary.yaml", bytes(range(256)) * 64, "not UTF-8 text"),
    ("utf16.yaml", "apiVersion: v1\nkind: Service\n".encode("utf-16"), "UTF-16 text"),
    ("latin1.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: café}\n".encode("latin-1"),
     "line 3: not UTF-8 text (byte 0xe9)"),
    ("control.yaml", b"apiVersion: v1\nkind: Service\nmetadata: {name: \x1b[8m}\n", "line 3: character #x001b"),
])
def test_malformed_files_are_one_line_and_exit_2(tmp_path: Path, name: str, content: bytes, expected: str):
    file = tmp_path / name
    file.write_bytes(content)
    message = refused(plan(str(file)))
    assert message.startswith(f"latticectl: {file}: ") and expected in message


@pytest.mark.parametrize("content", ["", "# only a comment\n", "---\n---\n"])
def test_empty_and_comment_only_files_plan_nothing(tmp_path: Path, content: str):
    file = tmp_path / "empty.yaml"
    file.write_text(content)
    result = plan(str(file))
    assert result.returncode == 0, result.err
    assert "no Lattice resources" in result.stdout.decode()


def test_out_of_range_ports_and_weights_are_per_object_problems(tmp_path: Path):
    file = tmp_path / "ranges.yaml"
    file.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {ports: [{port: 70000}]}\n---\n"
                    "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r}\n"
                    "spec:\n  rules:\n  - backendRefs: [{name: s, port: 80, weight: -1}]\n")
    result = plan(str(file), "--strict")
    out = result.stdout.decode()
    assert result.returncode == 1, result.err
    assert "Service default/s" in out and "spec.ports[0].port" in out
    assert "HTTPRoute default/r" in out and "weight" in out


def test_the_memory_limit_is_real():
    """The bound the tests above rely on: a child that tries to take 2 GiB fails."""
    result = subprocess.run([sys.executable, "-c", "b = bytearray(2 << 30)"], capture_output=True,
                            timeout=SECONDS, preexec_fn=_limit_memory)
    assert result.returncode != 0 and b"MemoryError" in result.stderr

