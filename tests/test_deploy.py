"""The container image and the Kubernetes manifests (deploy/), checked offline (docs/kubernetes.md).

- the Dockerfile's install steps are scripts/setup.sh's: same lock files, same flags, same order,
  the same spaCy pipeline build, the same Python;
- the Dockerfile passes hadolint and checkov; the entry point starts what supervisord and systemd
  start;
- every kustomize overlay renders (`kubectl kustomize`, kubectl from a wheel), validates against
  the Kubernetes schemas (kubernetes-validate, schemas inside the package, --strict) and passes
  checkov with no failed check;
- every setting a workload passes is one the code reads, and every setting the code needs in
  production is passed; Secrets are referenced, never written;
- the rollout guarantees (no replica down before its successor is ready, readiness on /ready,
  a drain before SIGTERM) and the ingress' retry of a failed POST on another pod.

The tools live in .venv-tools (scripts/deploy_tools.sh, which `make test` runs first). Without
them the tool tests skip on a developer's machine and fail under CI=true.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
SETUP = ROOT / "scripts" / "setup.sh"
ENTRYPOINT = ROOT / "deploy" / "docker" / "entrypoint.sh"
KUSTOMIZE = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("small-clinic", "clinic-group")
TOOLS = ROOT / ".venv-tools" / "bin"
KUBERNETES_VERSION = "1.30.0"  # the oldest minor the manifests promise to work on (docs/kubernetes.md)


# ---------------------------------------------------------------------------------------------
# The tools

def tool(name: str) -> Path:
    path = TOOLS / name
    if not path.exists():
        why = f"{path} is missing: run `bash scripts/deploy_tools.sh` (make test does)"
        if os.environ.get("CI") == "true":
            pytest.fail(why)
        pytest.skip(why)
    return path


def run(argv: list, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=300, **kwargs)


# ---------------------------------------------------------------------------------------------
# The image against scripts/setup.sh

def shell_commands(text: str) -> list[list[str]]:
    """Every simple command of a shell text: continuations joined, split on && || ; | and new lines."""
    commands = []
    for line in re.sub(r"\\\n", " ", text).splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        try:
            tokens = list(lexer)
        except ValueError:  # a line no simple command can come from (a quote spread over lines)
            continue
        words: list[str] = []
        for token in tokens + [";"]:
            if token and set(token) <= set(";&|()"):
                if words:
                    commands.append(words)
                words = []
            else:
                words.append(token)
    return commands


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuations joined, comments dropped."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [(m.group(1).upper(), m.group(2).strip())
            for m in re.finditer(r"^\s*([A-Za-z]+)\s+(.*)$", joined, re.M)]


def stages(text: str) -> dict[str, list[tuple[str, str]]]:
    named, current = {}, None
    for instruction, arguments in dockerfile_instructions(text):
        if instruction == "FROM":
            current = arguments.split()[-1] if " AS " in arguments.upper() else arguments
            named[current] = []
        named[current].append((instruction, arguments))
    return named


def install_steps(commands: list[list[str]]) -> list[list[str]]:
    """The pip installs and the pipeline build, as the words after the interpreter; env prefixes dropped."""
    steps = []
    for words in commands:
        while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
            words = words[1:]
        if len(words) >= 3 and words[0].endswith("python") and words[1] == "-m":
            if words[2] == "pip" or words[2] == "clinic.nlp.pipeline":
                steps.append(words[1:])
    return steps


def dockerfile_install_steps(text: str) -> list[list[str]]:
    build = stages(text)["build"]
    commands = []
    for instruction, arguments in build:
        if instruction == "RUN":
            commands += shell_commands(arguments)
    return install_steps(commands)


def setup_install_steps(text: str) -> list[list[str]]:
    return install_steps(shell_commands(text))


def test_the_image_installs_exactly_what_setup_sh_installs():
    ours, theirs = dockerfile_install_steps(DOCKERFILE.read_text()), setup_install_steps(SETUP.read_text())
    assert theirs, "no install step found in scripts/setup.sh: has its form changed?"
    assert ours == theirs, ("deploy/Dockerfile's install steps differ from scripts/setup.sh's:\n"
                            f"  Dockerfile: {ours}\n  setup.sh:   {theirs}")
    flat = [" ".join(step) for step in ours]
    # What must never go missing from either (the comparison above would hold if both lost it).
    assert any("-r requirements.lock" in s for s in flat)
    assert any("--require-hashes" in s and "-r requirements-meaning.lock" in s and "--no-deps" in s for s in flat)
    assert any(s.endswith("--no-deps -e .") for s in flat)
    assert flat[-1] == "-m clinic.nlp.pipeline"


def test_the_drift_check_sees_a_dropped_flag():
    """The comparison itself can fail: setup.sh without --require-hashes no longer matches."""
    drifted = SETUP.read_text().replace("--require-hashes", "")
    assert setup_install_steps(drifted) != dockerfile_install_steps(DOCKERFILE.read_text())
    other_lock = DOCKERFILE.read_text().replace("-r requirements.lock", "-r requirements-dev.lock")
    assert dockerfile_install_steps(other_lock) != setup_install_steps(SETUP.read_text())


def test_the_image_is_python_310_slim_multi_stage_non_root_with_a_healthcheck():
    text = DOCKERFILE.read_text()
    named = stages(text)
    assert list(named) == ["build", "runtime"]
    for instructions in named.values():
        base = instructions[0][1].split()[0]
        assert re.fullmatch(r"python:3\.10\.\d+-slim-\w+", base), base
    # setup.sh insists on 3.10 too
    assert "sys.version_info[:2] != (3, 10)" in SETUP.read_text()
    runtime = named["runtime"]
    kinds = [i for i, _ in runtime]
    users = [a for i, a in runtime if i == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert "HEALTHCHECK" in kinds and "ENTRYPOINT" in kinds
    health = next(a for i, a in runtime if i == "HEALTHCHECK")
    assert "clinic-probe" in health and "health" in health
    copies_from_build = [a for i, a in runtime if i == "COPY" and a.startswith("--from=build")]
    assert copies_from_build == ["--from=build /app/.venv /app/.venv",
                                 "--from=build /app/spacy_pipeline /app/spacy_pipeline"]
    runtime_runs = " ".join(a for i, a in runtime if i == "RUN")
    assert "build-essential" not in runtime_runs and "gcc" not in runtime_runs
    assert "rm -rf /var/lib/apt/lists/*" in runtime_runs
    env = " ".join(a for i, a in named["build"] if i == "ENV")
    assert "PIP_NO_CACHE_DIR=1" in env  # no pip cache in the layers copied on


def test_dockerignore_keeps_secrets_venvs_and_other_models_out():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for name in (".venv", ".venv-tools", ".channel-secret", ".api-secret", ".action-server-secret", "run",
                 "*.db", "models/*", "!models/clinic.tar.gz", ".git", "spacy_pipeline"):
        assert name in ignored, name


SUPERVISED = {  # role: the module (and the arguments) deploy/supervisor and deploy/systemd start
    "rasa": "python -m clinic.servers.assistant --replica",
    "actions": "python -m clinic.servers.actions",
    "console": "python -m clinic.staff serve",
    "worker": "python -m clinic.notifications",
    "migrate": "python -m clinic.migrate",
}


def test_the_entrypoint_starts_what_supervisord_and_systemd_start():
    entry = re.sub(r"\\\n\s*", " ", ENTRYPOINT.read_text())
    units = "\n".join(p.read_text() for p in (ROOT / "deploy" / "systemd").glob("*.service"))
    supervised = (ROOT / "deploy" / "supervisor" / "clinic.conf").read_text()
    for role, command in SUPERVISED.items():
        branch = re.search(rf"^\s*{role}\)\s*$(.*?);;", entry, re.M | re.S)
        assert branch, f"entrypoint has no '{role}' branch"
        assert f"exec {command}" in branch.group(1), role
        assert command.replace("python", "/opt/clinic/.venv/bin/python") in units or command in supervised, role
    rasa_unit = (ROOT / "deploy" / "systemd" / "clinic-rasa@.service").read_text()
    for argument in ("--endpoints deploy/endpoints.yml", "--logging-config-file deploy/logging.yml",
                     "--model models/clinic.tar.gz"):
        option, default = argument.split()
        assert option in rasa_unit and default in entry, argument


def test_the_probe_reads_the_ports_the_processes_read():
    probe = (ROOT / "deploy" / "docker" / "probe.py").read_text()
    code = {"CLINIC_ACTIONS_PORT": "clinic/servers/actions.py", "CLINIC_STAFF_PORT": "clinic/staff/__main__.py",
            "CLINIC_WORKER_PORT": "clinic/notifications.py", "CLINIC_RASA_FIRST_PORT": "clinic/servers/assistant.py"}
    for setting, where in code.items():
        assert setting in probe and setting in (ROOT / where).read_text(), setting
    assert "CLINIC_METRICS_TOKEN" in (ROOT / "clinic" / "metrics.py").read_text()


def test_hadolint_passes_the_dockerfile():
    result = run([tool("hadolint"), "--no-color", DOCKERFILE], cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_fails_a_broken_dockerfile(tmp_path):
    broken = tmp_path / "Dockerfile"
    broken.write_text(DOCKERFILE.read_text().replace("tini=0.19.0-1*", "tini").replace("USER 10001:10001\n", ""))
    result = run([tool("hadolint"), "--no-color", broken])
    assert result.returncode != 0 and "DL3008" in result.stdout, result.stdout
