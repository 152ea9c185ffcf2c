"""The strangers' patient sets (clinic/quality/strangers.py) through a running assistant: the
tuning half and the blind half, each reported apart, confident wrong answers and false alarms
counted apart. Starts the three processes of `make run` on free ports, as the tests do.

    python bench/strangers.py [--tuning] [-v] [--set PATH ...]
      -v: the tuning half's misses, one by one; --set: these sets instead (tuning sets only)
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the tests' helpers start real servers

from local_servers import running_assistant, start_smtp_server  # noqa: E402


def main() -> None:
    from clinic.quality.strangers import SETS, evaluate, misses, table
    from clinic.quality.whole_message import widget_conversations

    model = ROOT / "models" / "clinic.tar.gz"
    smtp, _ = start_smtp_server()
    with tempfile.TemporaryDirectory() as workdir:
        clinic_env = {"CLINIC_DB_URL": f"sqlite:///{workdir}/clinic.db", "CLINIC_SMTP_HOST": "127.0.0.1",
                      "CLINIC_SMTP_PORT": str(smtp.port), "CLINIC_SMTP_SECURITY": "none",
                      "CLINIC_MAIL_TO": "desk@clinic.test"}
        with running_assistant(model, Path(workdir), clinic_env,
                               extra_env={"CLINIC_WEB_LIMIT_PER_IP": "10000/minute"}) as servers:
            chosen = [Path(a) for a, flag in zip(sys.argv[2:], sys.argv[1:]) if flag == "--set"]
            for name, path in ({p.name: p.resolve() for p in chosen} or SETS).items():
                if "--tuning" in sys.argv and "blind" in name:
                    continue
                results = evaluate(widget_conversations(servers["channel"]), path)
                print(f"{name} ({path.relative_to(ROOT)}):")
                shown = table(results) + (misses(results) if "-v" in sys.argv and "blind" not in name else [])
                print("\n".join(shown), flush=True)
    smtp.stop()


if __name__ == "__main__":
    main()
