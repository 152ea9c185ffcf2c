"""The systemd units of deploy/systemd/ (security review: every service could write what every other
runs). Read as systemd reads them, each unit with the clinic-.service.d drop-in: one user per service,
models/ writable by the trainer alone, Rasa's API secret only where it is needed, and hardened."""
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from clinic import PROJECT_ROOT

UNITS = PROJECT_ROOT / "deploy" / "systemd"
DROP_IN = UNITS / "clinic-.service.d"
MODELS = "/opt/clinic/models"
API_SECRET_FILE = "/etc/clinic/api.env"
TRAINER = "clinic-train.service"
HARDENING = {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
             "PrivateDevices": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
             "ProtectControlGroups": "yes", "RestrictSUIDSGID": "yes", "RestrictNamespaces": "yes",
             "LockPersonality": "yes", "SystemCallFilter": "@system-service"}


def read_unit(*paths: Path) -> dict[str, dict[str, list[str]]]:
    """{section: {key: [every value, in order]}}, the files read one after the other as systemd does
    (a unit, then its drop-ins); continued lines joined, comments left out."""
    sections: dict[str, dict[str, list[str]]] = {}
    for path in paths:
        section = None
        for line in re.sub(r"\\\n", " ", path.read_text()).splitlines():
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            if line.startswith("["):
                section = sections.setdefault(line.strip("[]"), {})
                continue
            key, _, value = line.partition("=")
            section.setdefault(key.strip(), []).append(value.strip())
    return sections


def services() -> dict[str, dict[str, list[str]]]:
    """Each service's [Service] section, its drop-in included."""
    return {path.name: read_unit(path, *sorted(DROP_IN.glob("*.conf")))["Service"]
            for path in sorted(UNITS.glob("*.service"))}


def last(service: dict, key: str) -> str:
    return (service.get(key) or [""])[-1]


def words(service: dict, key: str) -> list[str]:
    return [word for value in service.get(key, []) for word in value.split()]


def sysusers(kind: str) -> set[str]:
    return {line.split()[1] for line in (UNITS / "clinic.sysusers").read_text().splitlines()
            if line.startswith(f"{kind} ")}


def test_each_service_runs_as_a_system_user_of_its_own():
    users = {name: last(service, "User") for name, service in services().items()}
    assert all(user.startswith("clinic-") for user in users.values()), users
    assert len(set(users.values())) == len(users), f"a user shared by two services: {users}"
    assert set(users.values()) <= sysusers("u"), "every user is made by clinic.sysusers"
    groups = {group for service in services().values()
              for group in [last(service, "Group"), *words(service, "SupplementaryGroups")] if group}
    assert groups <= sysusers("g"), groups


def writable(service: dict) -> list[str]:
    """Where the unit may write despite ProtectSystem=strict."""
    return [*words(service, "ReadWritePaths"),
            *(f"/var/lib/{d}" for d in words(service, "StateDirectory")),
            *(f"/var/cache/{d}" for d in words(service, "CacheDirectory"))]


def covers(path: str, target: str) -> bool:
    return target == path or target.startswith(path.rstrip("/") + "/")


def test_only_the_trainer_can_write_the_models_and_rasas_cache():
    for name, service in services().items():
        assert last(service, "ProtectSystem") == "strict", name  # everything not listed is read-only
        may_write = writable(service)
        assert (name == TRAINER) == any(covers(path, MODELS) for path in may_write), (name, may_write)
        assert not any(covers(path, "/opt/clinic/.rasa") for path in may_write), name
        cache = [v for v in service.get("Environment", []) if "RASA_CACHE_DIRECTORY" in v]
        assert (name == TRAINER) == bool(cache), name
    replicas = services()["clinic-rasa@.service"]
    assert "--model models/clinic.tar.gz" in last(replicas, "ExecStart")
    assert "clinic-models" in words(replicas, "SupplementaryGroups")  # reads what the trainer writes
    console = services()["clinic-staff-console.service"]  # its "Train and load" starts the trainer's unit
    assert shlex.split(" ".join(console["Environment"])).count(
        "CLINIC_TRAIN_COMMAND=systemctl start --wait clinic-train.service") == 1  # systemd's quoting, as a shell's


def test_rasas_api_secret_is_read_only_by_the_units_that_use_it():
    """The replicas check it; the trainer loads models with it; the console reads stories through the API."""
    holders = {name for name, service in services().items() if API_SECRET_FILE in service.get("EnvironmentFile", [])}
    assert holders == {"clinic-rasa@.service", TRAINER, "clinic-staff-console.service"}
    for name, service in services().items():
        assert not any("CLINIC_API_JWT_SECRET" in value for value in service.get("Environment", [])), name
    nginx = services()["clinic-nginx.service"]
    assert nginx["EnvironmentFile"] == ["/etc/clinic/clinic.env"], "settings only: no secret file"
    assert all(command.startswith("/usr/bin/env -i /usr/sbin/nginx") for command in
               nginx["ExecStart"] + nginx["ExecReload"]), "nginx itself gets an empty environment"


def test_every_service_is_hardened():
    for name, service in services().items():
        for key, value in HARDENING.items():
            assert last(service, key) == value, (name, key)
        assert last(service, "UMask") in ("0077", "0027"), name
        capabilities = last(service, "CapabilityBoundingSet")
        assert capabilities == ("CAP_NET_BIND_SERVICE" if name == "clinic-nginx.service" else ""), name


def test_the_replicas_believe_a_patients_address_from_nginx_alone():
    replicas = services()["clinic-rasa@.service"]
    assert replicas["LoadCredential"] == ["proxy-secret:/var/lib/clinic/proxy-secret"]
    assert "CLINIC_PROXY_SECRET_FILE=%d/proxy-secret" in replicas["Environment"]
    assert not any("CLINIC_TRUSTED_PROXY_HEADER" in value or "SANIC_" in value for value in replicas["Environment"])


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_reads_the_units_and_rates_them_low_exposure(tmp_path):
    """systemd's own reading: no unknown setting, and each service's exposure score at most 3 of 10
    (the units before this review: 8.5, 'EXPOSED')."""
    for path in [*UNITS.glob("*.service"), *UNITS.glob("*.target")]:
        shutil.copy(path, tmp_path)
    shutil.copytree(DROP_IN, tmp_path / DROP_IN.name)
    env = {"SYSTEMD_UNIT_PATH": f"{tmp_path}:", "PATH": "/usr/bin:/bin"}
    names = [p.name.replace("@.", "@1.") for p in sorted(UNITS.glob("*.service"))]
    verified = subprocess.run(["systemd-analyze", "verify", "--man=no", *names], env=env, cwd=tmp_path,
                              capture_output=True, text=True)
    problems = [line for line in verified.stderr.splitlines() if "is not executable" not in line]
    assert not problems, problems  # /opt/clinic is not installed on this machine: only that is missing
    for name in names:
        rated = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--no-pager", name], env=env,
                               cwd=tmp_path, capture_output=True, text=True)
        score = float(re.search(r"Overall exposure level for \S+: ([\d.]+)", rated.stdout).group(1))
        assert score <= 3.0, (name, score)
