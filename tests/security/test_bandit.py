"""Bandit over the clinic's code: no finding of medium severity or higher.

An accepted finding is annotated where it is, with the reason:
    query = f"..."  # nosec B608: table names come from our own constant, never from input
"""
import json
import subprocess
import sys

from clinic import PROJECT_ROOT

SCANNED = ["clinic", "actions"]


def bandit(*paths, cwd=PROJECT_ROOT) -> dict:
    """Runs the real bandit (-ll: medium severity and up); its JSON report."""
    run = subprocess.run([sys.executable, "-m", "bandit", "-r", *map(str, paths), "-ll", "-f", "json", "-q"],
                         cwd=cwd, capture_output=True, text=True, timeout=600)
    assert run.returncode in (0, 1), f"bandit did not run ({run.returncode}):\n{run.stderr[-3000:]}"
    return json.loads(run.stdout)


def described(result: dict) -> str:
    return (f"{result['filename']}:{result['line_number']} {result['test_id']} "
            f"[{result['issue_severity']}/{result['issue_confidence']}] {result['issue_text']}")


def test_bandit_finds_nothing_of_medium_severity_or_higher():
    report = bandit(*SCANNED)
    assert report["errors"] == [], f"bandit could not read: {report['errors']}"
    assert report["metrics"]["_totals"]["loc"] > 1000  # it did read the code
    findings = [described(result) for result in report["results"]]
    assert not findings, ("bandit findings (fix them, or annotate an accepted one with "
                          "`# nosec Bxxx: why`):\n" + "\n".join(findings))


def test_the_check_sees_a_finding_and_honours_only_a_specific_nosec(tmp_path):
    (tmp_path / "risky.py").write_text(
        "import subprocess\n\n\ndef run(command):\n"
        "    subprocess.call(command, shell=True)\n"
        "    subprocess.call(command, shell=True)  # nosec B602: a test of the annotation\n")
    [finding] = bandit(tmp_path)["results"]
    assert (finding["test_id"], finding["line_number"]) == ("B602", 5)
