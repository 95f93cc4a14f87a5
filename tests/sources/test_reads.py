"""Honest reads (issue 14): every file and directory given or found is read, or the read
fails naming it; what is skipped on purpose is said once."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from lattice_program.sources import files
from lattice_program.sources.files import SourceError, read_sources

SERVICE = "apiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec: {{ports: [{{port: 80}}]}}\n"


def service(name: str) -> str:
    return SERVICE.format(name=name)


def names(read) -> list:
    return [raw.body["metadata"]["name"] for raw in read.objects]


def notes(read) -> list:
    return [note.message for note in read.notes]


def test_yml_json_and_upper_case_extensions_are_read_in_directories(tmp_path: Path):
    (tmp_path / "a.yml").write_text(service("yml"))
    (tmp_path / "b.JSON").write_text('{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "json"}}')
    (tmp_path / "c.YAML").write_text(service("upper"))
    (tmp_path / "d.Yml").write_text(service("mixed"))
    (tmp_path / "e.txt").write_text(service("not-a-source"))
    assert names(read_sources([str(tmp_path)])) == ["yml", "json", "upper", "mixed"]


def test_hidden_directories_are_skipped_and_said_once(tmp_path: Path):
    for hidden in (".git", ".venv", ".github"):
        (tmp_path / hidden).mkdir()
        (tmp_path / hidden / "x.yaml").write_text(service(hidden.strip(".")))
    (tmp_path / "kept.yaml").write_text(service("kept"))
    read = read_sources([str(tmp_path)])
    assert names(read) == ["kept"]
    [note] = [n for n in read.notes if "hidden" in n.message]
    assert note.severity == "warning"
    assert all(str(tmp_path / hidden) in note.message for hidden in (".git", ".venv", ".github"))


def test_a_hidden_directory_named_as_a_path_is_read(tmp_path: Path):
    (tmp_path / ".manifests").mkdir()
    (tmp_path / ".manifests" / "x.yaml").write_text(service("named"))
    assert names(read_sources([str(tmp_path / ".manifests")])) == ["named"]


def test_exclude_globs_leave_out_paths_and_names_and_say_so(tmp_path: Path):
    (tmp_path / "charts" / "web").mkdir(parents=True)
    (tmp_path / "charts" / "web" / "x.yaml").write_text(service("chart"))
    (tmp_path / "values.yaml").write_text(service("values"))
    (tmp_path / "kept.yaml").write_text(service("kept"))
    read = read_sources([str(tmp_path)], excludes=["charts", "values.y*ml"])
    assert names(read) == ["kept"]
    [note] = [n for n in notes(read) if "--exclude" in n]
    assert note.startswith("2 path(s) left out by --exclude") and str(tmp_path / "charts") in note


def test_documents_that_are_not_kubernetes_objects_are_one_summarized_warning(tmp_path: Path):
    (tmp_path / "values.yaml").write_text("replicaCount: 3\nimage: {tag: v1}\n")
    (tmp_path / "workflow.yml").write_text("on: push\njobs: {test: {runs-on: ubuntu-latest}}\n")
    (tmp_path / "web.yaml").write_text(service("web"))
    read = read_sources([str(tmp_path)])
    assert names(read) == ["web"]
    [note] = notes(read)
    assert note.startswith("2 YAML document(s) with neither apiVersion nor kind")
    assert f"{tmp_path / 'values.yaml'}:1" in note and f"{tmp_path / 'workflow.yml'}:1" in note


def test_a_helm_template_in_a_directory_is_a_warning_naming_it_and_the_rest_is_read(tmp_path: Path):
    (tmp_path / "templates").mkdir()
    template = tmp_path / "templates" / "service.yaml"
    template.write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.name }}\n  {{- include \"x\" . }}\n")
    (tmp_path / "web.yaml").write_text(service("web"))
    read = read_sources([str(tmp_path)])
    assert names(read) == ["web"]
    [note] = read.notes
    assert note.origin == str(template) and "Helm or Go template" in note.message and "helm template" in note.message


def test_a_program_that_applies_the_sources_refuses_a_template_instead_of_skipping_it(tmp_path: Path):
    # A file that stopped parsing must not turn its objects into deletions at `up`.
    (tmp_path / "svc.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.name }}\n  {{- x }}\n")
    with pytest.raises(SourceError, match="svc.yaml: malformed YAML"):
        files.load_paths([str(tmp_path)])


def test_a_helm_template_named_as_a_file_is_still_an_error(tmp_path: Path):
    template = tmp_path / "service.yaml"
    template.write_text("metadata:\n  name: {{ .Values.name }}\n  {{- include \"x\" . }}\n")
    with pytest.raises(SourceError, match=f"{template}: malformed YAML"):
        read_sources([str(template)])


def test_a_symbolic_link_loop_is_an_error_naming_it(tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.yaml").write_text(service("x"))
    (tmp_path / "a" / "back").symlink_to(tmp_path)
    with pytest.raises(SourceError, match=rf"{tmp_path / 'a' / 'back'}: a symbolic link loop"):
        read_sources([str(tmp_path)])


def test_a_self_referencing_link_is_an_error_naming_it(tmp_path: Path):
    (tmp_path / "self.yaml").symlink_to(tmp_path / "self.yaml")
    with pytest.raises(SourceError, match=rf"{tmp_path / 'self.yaml'}: a symbolic link loop"):
        read_sources([str(tmp_path)])


def test_a_broken_link_is_an_error_naming_it(tmp_path: Path):
    (tmp_path / "gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    with pytest.raises(SourceError, match=rf"{tmp_path / 'gone.yaml'}: a symbolic link to nothing"):
        read_sources([str(tmp_path)])


def test_a_linked_directory_is_followed(tmp_path: Path):
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "x.yaml").write_text(service("shared"))
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "shared").symlink_to(tmp_path / "shared")
    assert names(read_sources([str(tmp_path / "app")])) == ["shared"]


def test_a_fifo_is_an_error_naming_it_and_nothing_blocks(tmp_path: Path):
    os.mkfifo(tmp_path / "pipe.yaml")
    with pytest.raises(SourceError, match=rf"{tmp_path / 'pipe.yaml'}: a FIFO, not a file"):
        read_sources([str(tmp_path)])
    with pytest.raises(SourceError, match="a FIFO, not a file.*'-' for standard input"):
        read_sources([str(tmp_path / "pipe.yaml")])


def test_a_socket_or_device_is_an_error(tmp_path: Path):
    with pytest.raises(SourceError, match="/dev/null: a device, not a file"):
        read_sources(["/dev/null"])
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(tmp_path / "s.yaml"))
        with pytest.raises(SourceError, match=rf"{tmp_path / 's.yaml'}: a socket"):
            read_sources([str(tmp_path)])
    finally:
        server.close()


def test_an_unlistable_directory_is_an_error_naming_it(tmp_path: Path, monkeypatch):
    # The tests run as root, whom permissions do not stop: the refusal is simulated at scandir.
    (tmp_path / "locked").mkdir()
    (tmp_path / "open.yaml").write_text(service("open"))
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == tmp_path / "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(files.os, "scandir", scandir)
    with pytest.raises(SourceError, match=rf"{tmp_path / 'locked'}: cannot list the directory \(Permission denied\)"):
        read_sources([str(tmp_path)])


def test_an_unreadable_file_is_an_error_naming_it(tmp_path: Path, monkeypatch):
    (tmp_path / "secret.yaml").write_text(service("secret"))
    real_open = open

    def refusing_open(path, *args, **kwargs):
        if Path(path).name == "secret.yaml":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", refusing_open)
    with pytest.raises(SourceError, match=rf"{tmp_path / 'secret.yaml'}: cannot read \(Permission denied\)"):
        read_sources([str(tmp_path)])


def test_objects_keep_the_line_they_start_on(tmp_path: Path):
    file = tmp_path / "two.yaml"
    file.write_text("# header\n" + service("a") + "---\n# comment\n" + service("b") +
                    "---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: c}}\n")
    read = read_sources([str(file)])
    assert [(raw.origin, raw.line) for raw in read.objects] == [
        (f"{file}#0", 2), (f"{file}#1", 8), (f"{file}#2.items[0]", 16)]
    assert read.lines()[f"{file}#1"] == 8


def test_the_source_set_is_measured_before_anything_is_read(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(files, "MAX_SOURCE_BYTES", 1000)
    (tmp_path / "a.yaml").write_text(service("a") * 5)
    (tmp_path / "b.yaml").write_text("x" * 800)
    read_calls = []
    monkeypatch.setattr(files, "_read_file", lambda path: read_calls.append(path) or "")
    with pytest.raises(SourceError, match=rf"more than 0 MiB of YAML \(reached at {tmp_path / 'b.yaml'}\).*--exclude"):
        read_sources([str(tmp_path)])
    assert read_calls == []


def test_progress_is_reported_per_file(tmp_path: Path):
    for index in range(3):
        (tmp_path / f"{index}.yaml").write_text(service(f"s{index}"))
    seen = []
    read_sources([str(tmp_path)], progress=lambda done, total, size: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
