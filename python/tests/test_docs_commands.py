"""Every `tsu ...` command of the README and docs/*.md runs as written from the checkout root.

Each document's commands run in order (a later one may read what an earlier one wrote) in a copy of
the checkout's examples, configs and docs beside the shared data, so that what they write (under
out/, or docs/hardware for the hardware studies) lands in the copy. A command passes when it exits 0,
or is still working after SECONDS (the documented long runs: training, comparisons, 100-run
benchmarks); it fails when it exits non-zero. Synopsis lines (placeholders such as MODEL or [--ideal])
are not commands and are left out. A command that fails because an earlier one of the same document
was cut short before writing what it reads is reported as skipped, with both named.
"""

import os
import pathlib
import re
import shutil
import signal
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCUMENTS = ["README.md"] + sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))
SECONDS = 8


def commands_of(text, subcommands):
    """The `tsu SUBCOMMAND ...` lines of fenced or indented code blocks (not the output shown in them),
    with their continuation lines joined."""
    commands, fenced, pending = [], False, None
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        code = fenced or line.startswith("    ")
        body = line.strip()
        if body.startswith("$ "):
            body = body[2:]
        if pending is not None:
            pending += " " + body.rstrip("\\").strip()
            if not body.endswith("\\"):
                commands.append(pending)
                pending = None
            continue
        if not code or not body.startswith("tsu ") or body.split()[1] not in subcommands:
            continue
        if body.endswith("\\"):
            pending = body.rstrip("\\").strip()
        else:
            commands.append(body)
    return [c for c in (strip_comment(c) for c in commands) if not is_synopsis(c)]


def strip_comment(command):
    return re.sub(r"\s+#.*$", "", command).strip()


def subcommands_of(cli):
    """The subcommands that `tsu --help` lists."""
    text = subprocess.run([str(cli), "--help"], capture_output=True, text=True, check=True).stdout
    listed = text.split("Subcommands:")[1].split("\n\n")[0]
    return {line.split()[0] for line in listed.strip().splitlines()}


def is_synopsis(command):
    return "[" in command or "|" in command or any(re.fullmatch(r"[A-Z]+", t) for t in command.split())


@pytest.fixture(scope="module")
def checkout(tmp_path_factory, cli):
    """A copy of what the documented commands read, beside the shared data, with `tsu` on the PATH."""
    top = tmp_path_factory.mktemp("docs")
    copy = top / "main"
    for folder in ("examples", "configs", "docs"):
        shutil.copytree(ROOT / folder, copy / folder)
    (top / "shared").symlink_to((ROOT / "../shared").resolve())
    env = dict(os.environ, PATH=f"{cli.parent}{os.pathsep}{os.environ['PATH']}")
    return copy, env, subcommands_of(cli)


def run(command, cwd, env):
    """(exit status or None when still running after SECONDS, the last line of stderr)."""
    process = subprocess.Popen(["bash", "-c", command], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _, err = process.communicate(timeout=SECONDS)
        return process.returncode, (err.strip().splitlines() or [""])[-1]
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return None, ""


def test_the_documents_have_commands(cli):
    subcommands = subcommands_of(cli)
    assert {"sample", "exact", "dtm", "hw", "maxcut", "qubo"} <= subcommands
    assert len(commands_of((ROOT / "README.md").read_text(), subcommands)) >= 15
    text = "```\ntsu hw a \\\n  --b 1   # c\ntsu energy 1.3e-4x\n```\n    tsu hw run MODEL --device FILE\n"
    assert commands_of(text, subcommands) == ["tsu hw a --b 1"]


@pytest.mark.parametrize("document", DOCUMENTS)
def test_every_command_of_the_document_runs_as_written(document, checkout):
    cwd, env, subcommands = checkout
    commands = commands_of((ROOT / document).read_text(), subcommands)
    failures, cut_short, skipped = [], [], []
    for command in commands:
        status, last = run(command, cwd, env)
        if status is None:
            cut_short.append(command)
        elif status != 0:
            if cut_short and "out/" in last:
                skipped.append(f"{command}: {last} (reads what '{cut_short[-1]}' had not yet written)")
            else:
                failures.append(f"{command}\n    exit {status}: {last}")
    print(f"{document}: {len(commands)} commands, {len(cut_short)} still working after {SECONDS} s, "
          f"{len(skipped)} skipped", *skipped, sep="\n  ")
    assert not failures, f"{document}: commands that fail as written:\n" + "\n".join(failures)
