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
    """What the image must install too: all but the development tools (requirements-dev.lock)."""
    return [step for step in install_steps(shell_commands(text)) if "requirements-dev.lock" not in step]


def test_the_image_has_no_development_tools_and_setup_sh_installs_them_by_hash():
    assert "requirements-dev.lock" not in DOCKERFILE.read_text()
    dev = [" ".join(step) for step in install_steps(shell_commands(SETUP.read_text()))
           if "requirements-dev.lock" in step]
    assert dev == ["-m pip install --quiet --disable-pip-version-check --no-deps --require-hashes "
                   "-r requirements-dev.lock"]
    runtime = (ROOT / "requirements.lock").read_text().lower()
    for tool in ("pytest==", "playwright==", "bandit==", "ruff==", "mypy=="):
        assert f"\n{tool}" not in runtime, f"{tool} is a development tool: requirements-dev.lock"


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
    "worker": "python -m clinic.requests.notifications",
    "migrate": "python -m clinic.db.migrate",
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
            "CLINIC_WORKER_PORT": "clinic/requests/notifications.py", "CLINIC_RASA_FIRST_PORT": "clinic/servers/assistant.py"}
    for setting, where in code.items():
        assert setting in probe and setting in (ROOT / where).read_text(), setting
    assert "CLINIC_METRICS_TOKEN" in (ROOT / "clinic" / "operations" / "metrics.py").read_text()


def test_hadolint_passes_the_dockerfile():
    result = run([tool("hadolint"), "--no-color", DOCKERFILE], cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_fails_a_broken_dockerfile(tmp_path):
    broken = tmp_path / "Dockerfile"
    broken.write_text(DOCKERFILE.read_text().replace("tini=0.19.0-1*", "tini").replace("USER 10001:10001\n", ""))
    result = run([tool("hadolint"), "--no-color", broken])
    assert result.returncode != 0 and "DL3008" in result.stdout, result.stdout


def test_checkov_passes_the_dockerfile():
    result = run([tool("checkov"), "-f", DOCKERFILE, "--framework", "dockerfile", "--config-file",
                  KUSTOMIZE / "checkov.yaml", "-o", "json"], cwd=ROOT)
    summary = json.loads(result.stdout)["summary"]
    assert summary["failed"] == 0 and summary["passed"] > 50, result.stdout[-3000:]


# ---------------------------------------------------------------------------------------------
# The manifests, rendered

@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Path]:
    """{overlay: its rendered YAML file}, by `kubectl kustomize` (kubectl from a wheel, offline)."""
    kubectl, out = tool("kubectl"), tmp_path_factory.mktemp("rendered")
    files = {}
    for overlay in OVERLAYS:
        result = run([kubectl, "kustomize", KUSTOMIZE / "overlays" / overlay])
        assert result.returncode == 0, f"{overlay} does not render:\n{result.stderr}"
        files[overlay] = out / f"{overlay}.yaml"
        files[overlay].write_text(result.stdout)
    return files


def documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def by_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def workloads(docs: list[dict]) -> dict[str, dict]:
    """{component: pod spec} of every Deployment and Job."""
    return {d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/component"]: d["spec"]["template"]["spec"]
            for d in docs if d["kind"] in ("Deployment", "Job")}


def validate(path: Path) -> subprocess.CompletedProcess:
    return run([tool("kubernetes-validate"), "--strict", "--quiet", "-k", KUBERNETES_VERSION, path])


def scan(directory: Path) -> dict:
    result = run([tool("checkov"), "-d", directory, "--framework", "kubernetes", "--config-file",
                  KUSTOMIZE / "checkov.yaml", "-o", "json"])
    report = json.loads(result.stdout)
    return report[0] if isinstance(report, list) else report


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_validates_against_the_kubernetes_schemas(rendered, overlay):
    result = validate(rendered[overlay])
    assert result.returncode == 0, result.stdout + result.stderr
    kinds = {d["kind"] for d in documents(rendered[overlay])}
    assert {"Deployment", "Job", "Service", "Ingress", "NetworkPolicy", "PodDisruptionBudget",
            "HorizontalPodAutoscaler", "ConfigMap", "ServiceAccount", "Namespace"} <= kinds


def test_the_schema_check_fails_a_broken_manifest(rendered, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(rendered["small-clinic"].read_text().replace("replicas: 2", "replicas: two", 1)
                      .replace("containerPort: 5005", "containerPort: 5005\n              hostPorts: 1", 1))
    result = validate(broken)
    assert result.returncode != 0, result.stdout


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_checkov_finds_nothing_in_an_overlay(rendered, overlay, tmp_path):
    (tmp_path / f"{overlay}.yaml").write_text(rendered[overlay].read_text())
    report = scan(tmp_path)
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert report["summary"]["failed"] == 0, failed
    assert report["summary"]["passed"] > 300


def test_checkov_fails_a_pod_that_may_run_as_root(rendered, tmp_path):
    text = rendered["small-clinic"].read_text()
    (tmp_path / "broken.yaml").write_text(text.replace("runAsNonRoot: true", "runAsNonRoot: false")
                                          .replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"))
    report = scan(tmp_path)
    failed = {c["check_id"] for c in report["results"]["failed_checks"]}
    assert {"CKV_K8S_22", "CKV_K8S_23"} & failed, failed


# ---------------------------------------------------------------------------------------------
# Settings: every one passed is read, every one needed is passed

CODE = [*sorted((ROOT / "clinic").rglob("*.py")), *sorted((ROOT / "actions").rglob("*.py")),
        ROOT / "deploy" / "endpoints.yml", ROOT / "deploy" / "credentials.yml", ENTRYPOINT,
        ROOT / "deploy" / "docker" / "probe.py"]
# Not the clinic's own names: each is read by a library the processes run.
LIBRARY_SETTINGS = {
    "TICKET_LOCK_LIFETIME": "rasa/core/lock_store.py",  # Rasa's conversation lock lifetime
    "PGSSLMODE": None,  # libpq (psycopg2) reads it: TLS to a managed PostgreSQL
}


def code_text() -> str:
    return "\n".join(p.read_text() for p in CODE)


def profile_settings() -> set[str]:
    """clinic/profile.py reads CLINIC_<FIELD> for every field of clinic/profile.yml."""
    fields = yaml.safe_load((ROOT / "clinic" / "profile.yml").read_text())
    return {f"CLINIC_{name.upper()}" for name in fields}


def read_by_the_code(name: str, text: str) -> bool:
    if name in LIBRARY_SETTINGS:
        where = LIBRARY_SETTINGS[name]
        if where is None:
            return True
        import importlib.util
        origin = Path(importlib.util.find_spec(where.split("/")[0]).origin).parent
        return name in (origin.parent / where).read_text()
    return name in profile_settings() or re.search(rf"\b{re.escape(name)}\b", text) is not None


def settings_passed(docs: list[dict]) -> dict[str, set[str]]:
    """{component: every environment variable its container gets}, ConfigMaps' keys included."""
    configmaps = by_kind(docs, "ConfigMap")
    passed = {}
    for component, pod in workloads(docs).items():
        (container,) = pod["containers"]
        names = {e["name"] for e in container.get("env", [])}
        for source in container.get("envFrom", []):
            names |= set(configmaps[source["configMapRef"]["name"]]["data"])
        passed[component] = names
    return passed


def endpoint_settings() -> set[str]:
    """What Rasa must be given: every ${VAR} in deploy/endpoints.yml (Rasa fails without it)."""
    return set(re.findall(r"\$\{(\w+)\}", (ROOT / "deploy" / "endpoints.yml").read_text()))


# What each process needs in production beyond that (docs/settings.md, docs/security.md).
REQUIRED = {
    "rasa": endpoint_settings() | {
        "CLINIC_CHANNEL_SECRET",        # signs the widget's session tokens (clinic/channel/sessions.py)
        "CLINIC_WIDGET_ORIGINS",        # deploy/credentials.yml names no origin
        "CLINIC_CREDENTIALS",           # the production channels, not the local ones
        "CLINIC_DB_URL",                # ended chats, shared by the replicas (clinic/channel/revocations.py)
        "CLINIC_WEB_LIMITS_STORAGE",    # rate limits shared by the replicas
        "CLINIC_METRICS_TOKEN",         # /ready, the readiness probe
        "CLINIC_PROXY_SECRET_FILE",     # the patient's address only from the ingress
        "TICKET_LOCK_LIFETIME",
    },
    "actions": {"CLINIC_DB_URL", "CLINIC_ACTION_SERVER_SECRET", "CLINIC_METRICS_TOKEN"},
    "console": {"CLINIC_DB_URL", "CLINIC_TRACKER_DB_URL", "CLINIC_METRICS_TOKEN", "CLINIC_STAFF_SECURE_COOKIES"},
    "worker": {"CLINIC_DB_URL", "CLINIC_METRICS_TOKEN", "CLINIC_SMTP_HOST", "CLINIC_MAIL_TO",
               "CLINIC_WEBHOOK_URL", "CLINIC_WEBHOOK_SECRET"},
    "migrate": {"CLINIC_DB_URL", "CLINIC_TRACKER_DB_URL"},
}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_setting_a_workload_gets_is_read_by_the_code(rendered, overlay):
    text = code_text()
    unread = {(component, name) for component, names in settings_passed(documents(rendered[overlay])).items()
              for name in names if not read_by_the_code(name, text)}
    assert not unread, f"settings nothing reads: {sorted(unread)}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_setting_the_code_needs_is_passed(rendered, overlay):
    passed = settings_passed(documents(rendered[overlay]))
    assert set(passed) == set(REQUIRED)
    missing = {(component, name) for component, names in REQUIRED.items() for name in names - passed[component]}
    assert not missing, f"settings the code needs but no manifest passes: {sorted(missing)}"
    text = code_text()
    assert all(read_by_the_code(n, text) for names in REQUIRED.values() for n in names)
    # every process listens on the pod's address, not loopback (clinic/operations/binding.py)
    assert "CLINIC_BIND_ADDRESS=0.0.0.0" in DOCKERFILE.read_text()


def test_the_settings_check_fails_on_an_unread_or_missing_setting(rendered):
    docs = documents(rendered["small-clinic"])
    rasa = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "clinic-rasa")
    env = rasa["spec"]["template"]["spec"]["containers"][0]["env"]
    env[:] = [e for e in env if e["name"] != "CLINIC_CHANNEL_SECRET"] + [{"name": "CLINIC_CHANEL_SECRET", "value": "x"}]
    passed = settings_passed(docs)
    assert "CLINIC_CHANNEL_SECRET" in REQUIRED["rasa"] - passed["rasa"]
    assert not read_by_the_code("CLINIC_CHANEL_SECRET", code_text())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_referenced_never_written(rendered, overlay):
    docs = documents(rendered[overlay])
    assert not [d for d in docs if d["kind"] == "Secret"]
    for path in KUSTOMIZE.rglob("kustomization.yaml"):
        assert "secretGenerator" not in path.read_text(), path
    pods = "\n".join(yaml.safe_dump(p) for p in workloads(docs).values())
    secret_refs = set(re.findall(r"secretKeyRef:\n\s+key: [\w-]+\n\s+name: ([\w-]+)", pods))
    secret_refs |= set(re.findall(r"secretName: ([\w-]+)", pods))
    assert secret_refs == {"clinic-secrets", "clinic-database", "clinic-mail"}, secret_refs
    guide = (ROOT / "docs" / "kubernetes.md").read_text()
    for name in secret_refs | {"clinic-widget-tls", "clinic-console-tls"}:
        assert name in guide, f"docs/kubernetes.md does not say how to create {name}"


# ---------------------------------------------------------------------------------------------
# Rolling updates, probes, disruption and scaling

@pytest.mark.parametrize("overlay", OVERLAYS)
def test_a_new_model_reaches_every_replica_without_a_replica_down(rendered, overlay):
    docs = documents(rendered[overlay])
    rasa = by_kind(docs, "Deployment")["clinic-rasa"]
    update = rasa["spec"]["strategy"]
    assert update["type"] == "RollingUpdate" and update["rollingUpdate"]["maxUnavailable"] == 0
    assert update["rollingUpdate"]["maxSurge"] >= 1 and rasa["spec"].get("minReadySeconds", 0) >= 5
    pod = rasa["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["readinessProbe"]["exec"]["command"] == ["clinic-probe", "ready", "rasa"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["startupProbe"]["httpGet"]["path"] == "/health"
    drain = container["lifecycle"]["preStop"]["exec"]["command"]
    assert drain[0] == "sleep" and int(drain[1]) >= 5
    assert pod["terminationGracePeriodSeconds"] >= int(drain[1]) + 15  # + Sanic's graceful shutdown
    assert {"name": "CLINIC_METRICS_TOKEN",
            "valueFrom": {"secretKeyRef": {"name": "clinic-secrets", "key": "metrics-token"}}} in container["env"]
    # the memory asked for covers what a replica was measured to hold (772 MB after loading)
    memory = container["resources"]["requests"]["memory"]
    assert memory.endswith("Gi") and float(memory[:-2]) * 1024 >= 772 * 1.2


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_rasa_has_a_disruption_budget_and_an_autoscaler_that_fit(rendered, overlay):
    docs = documents(rendered[overlay])
    rasa = by_kind(docs, "Deployment")["clinic-rasa"]
    budget = by_kind(docs, "PodDisruptionBudget")["clinic-rasa"]
    scaler = by_kind(docs, "HorizontalPodAutoscaler")["clinic-rasa"]
    labels = rasa["spec"]["template"]["metadata"]["labels"]
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert scaler["spec"]["scaleTargetRef"]["name"] == "clinic-rasa"
    assert scaler["spec"]["minReplicas"] > budget["spec"]["minAvailable"]  # a drain can always proceed
    assert scaler["spec"]["minReplicas"] <= rasa["spec"]["replicas"] <= scaler["spec"]["maxReplicas"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_widget_ingress_retries_a_failed_message_on_another_pod(rendered, overlay):
    ingresses = by_kind(documents(rendered[overlay]), "Ingress")
    widget = ingresses["clinic-widget"]
    notes = widget["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/proxy-next-upstream"] == \
        "error timeout http_502 http_503 http_504 non_idempotent"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-next-upstream-tries"]) >= 2
    assert notes["nginx.ingress.kubernetes.io/service-upstream"] == "false"
    (rule,) = widget["spec"]["rules"]
    assert [p["path"] for p in rule["http"]["paths"]] == ["/webhooks/clinic_web/"]
    console = ingresses["clinic-console"]["metadata"]["annotations"]
    assert console["nginx.ingress.kubernetes.io/whitelist-source-range"]
    assert ingresses["clinic-console"]["spec"]["rules"][0]["host"] != widget["spec"]["rules"][0]["host"]


# ---------------------------------------------------------------------------------------------
# Who reaches whom (NetworkPolicy, evaluated as Kubernetes does for label selectors)

INGRESS_CONTROLLER = ({"kubernetes.io/metadata.name": "ingress-nginx"}, {"app.kubernetes.io/name": "ingress-nginx"})
PORTS = {"rasa": 5005, "actions": 5055, "console": 8001, "worker": 9105, "migrate": 5005}


def selects(selector: dict | None, labels: dict) -> bool:
    return selector is None or selector.get("matchLabels", {}).items() <= labels.items()


def allowed(policies: list[dict], namespace: str, source: tuple[dict, dict], target: dict, port: int) -> bool:
    """May a pod (namespace labels, pod labels) open `port` on a pod with labels `target` in `namespace`?"""
    source_ns, source_pod = source
    applying = [p for p in policies if selects(p["spec"]["podSelector"], target)
                and "Ingress" in p["spec"].get("policyTypes", ["Ingress"])]
    if not applying:
        return True
    for policy in applying:
        for rule in policy["spec"].get("ingress", []) or []:
            if rule.get("ports") and port not in [p["port"] for p in rule["ports"]]:
                continue
            for peer in rule.get("from", []):
                ns_selector, pod_selector = peer.get("namespaceSelector"), peer.get("podSelector")
                same_namespace = source_ns.get("kubernetes.io/metadata.name") == namespace
                if ns_selector is None and not same_namespace:
                    continue
                if ns_selector is not None and not selects(ns_selector, source_ns):
                    continue
                if selects(pod_selector, source_pod):
                    return True
    return False


def reachability(docs: list[dict]) -> dict[tuple[str, str], bool]:
    namespace = next(d["metadata"]["name"] for d in docs if d["kind"] == "Namespace")
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    pods = {component: {"app.kubernetes.io/name": "clinic-assistant", "app.kubernetes.io/component": component}
            for component in PORTS}
    ours = {"kubernetes.io/metadata.name": namespace}
    sources = {**{c: (ours, labels) for c, labels in pods.items()}, "ingress": INGRESS_CONTROLLER,
               "elsewhere": ({"kubernetes.io/metadata.name": "default"}, {"app": "anything"}),
               "stranger": (ours, {"app": "debug"})}
    return {(s, t): allowed(policies, namespace, source, pods[t], PORTS[t])
            for s, source in sources.items() for t in pods}


EXPECTED_REACH = {("ingress", "rasa"), ("ingress", "console"), ("rasa", "actions")}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_ingress_reaches_rasa_and_the_console_only_rasa_the_actions_nothing_the_worker(
        rendered, overlay):
    reach = reachability(documents(rendered[overlay]))
    assert {pair for pair, ok in reach.items() if ok} == EXPECTED_REACH


def test_the_reachability_check_sees_a_policy_removed(rendered):
    docs = [d for d in documents(rendered["small-clinic"])
            if not (d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "clinic-worker-from-nowhere")]
    assert {pair for pair, ok in reachability(docs).items() if ok} == EXPECTED_REACH  # default deny still holds
    docs = [d for d in docs if not (d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "clinic-default-deny")]
    assert ("stranger", "worker") in {pair for pair, ok in reachability(docs).items() if ok}
