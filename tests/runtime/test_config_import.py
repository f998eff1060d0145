"""Loading the config stays cheap: no TA-Lib, torch, scikit-learn or MLflow behind it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("talib", "torch", "sklearn", "mlflow", "xgboost")
ROOT = Path(__file__).resolve().parents[2]


def test_importing_and_loading_the_config_imports_no_heavy_library():
    code = (
        "import json, sys\n"
        "import runtime.config\n"
        f"heavy = {HEAVY!r}\n"
        "after_import = [m for m in heavy if m in sys.modules]\n"
        "runtime.config.load_config()\n"
        "after_load = [m for m in heavy if m in sys.modules]\n"
        "print(json.dumps([after_import, after_load]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    after_import, after_load = json.loads(out.stdout.strip().splitlines()[-1])
    assert after_import == [], f"importing runtime.config imported {after_import}"
    assert after_load == [], f"load_config() imported {after_load}"
