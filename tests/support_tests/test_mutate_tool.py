"""tools/mutate.py on a module small enough to know each mutant's fate: the checks never
go above ``high``, so the mutants of that branch survive and the others die."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = "tests/support/mutation_sample.py"


def test_mutants_the_checks_see_are_killed_and_the_others_listed(tmp_path):
    scores = tmp_path / "scores.json"
    run = subprocess.run([sys.executable, "tools/mutate.py", SAMPLE, "--tests",
                          "tests/support_tests/mutation_sample_checks.py", "--jobs", "2", "--json", str(scores)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    score = json.loads(scores.read_text())[SAMPLE]
    survived = sorted(line.split("  |")[0] for line in score["survived"])
    assert survived == [f"{SAMPLE}:5: < -> <=",  # clamp(low) is low either way
                        f"{SAMPLE}:7: > -> >=",
                        f"{SAMPLE}:8: return value -> return None"]
    assert (score["killed"], score["timeout"], score["score"]) == (2, 0, 40.0)
    assert "(no test reaches it)" in next(line for line in score["survived"] if ":8:" in line)
