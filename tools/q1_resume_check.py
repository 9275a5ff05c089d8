"""Does resuming Q1's finished searches change the searches that follow? (Q1, maintainers)

Q1's stored run once resumed three finished searches in a fresh kernel and then ran Hyperband;
a later uninterrupted run reproduced the three searches bit for bit but not Hyperband. This
script separates the two possible causes (a code change, or the random state a resumed search
leaves behind) at a small size, in three processes with the same seed:

1. `fresh A`: the four searches in one process, as the notebook's search cell runs them;
2. `fresh A2`: the same again (a fresh run repeats itself bit for bit);
3. `resume B`: random, grid and Bayesian reloaded from a copy of A's trials, Hyperband afresh.

It prints each Hyperband trial's configuration (a hash) and score, and a verdict. It took
about 9 minutes here (2 cores, beside other work):

    .venv/bin/python tools/q1_resume_check.py
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def search(mode: str, folder: str) -> None:
    """Run the four searches at a small size; print Hyperband's trials as one JSON line."""
    from dataclasses import replace

    from dlhw import profiles, session

    seed = session.setup()
    from dlhw import tuning

    profile = replace(
        profiles.QUICK,
        mnist_train=6000,
        tuner_train=2000,
        tuner_budget_epochs=6,
        tuner_max_epochs=3,
    )
    data = tuning.search_data(profile, seed=seed)
    hypermodel = tuning.CNNHyperModel()
    for kind in tuning.KINDS:
        tuner = tuning.make_tuner(
            kind,
            hypermodel,
            budget_epochs=profile.tuner_budget_epochs,
            max_epochs=profile.tuner_max_epochs,
            directory=folder,
            seed=seed,
            overwrite=mode == "fresh",
        )
        tuning.run_search(tuner, data)
    trials = sorted(tuner.oracle.trials.values(), key=lambda t: t.trial_id)
    rows = [
        [
            t.trial_id,
            hashlib.md5(json.dumps(t.hyperparameters.values, sort_keys=True).encode()).hexdigest(),
            float(t.score),
        ]
        for t in trials
    ]
    print("HYPERBAND " + json.dumps(rows), flush=True)


def run(mode: str, folder: Path) -> list[list]:
    """`search(mode, folder)` in a new Python process; its Hyperband trials."""
    out = subprocess.run(
        [sys.executable, __file__, mode, str(folder)], capture_output=True, text=True, check=True
    ).stdout
    line = next(x for x in out.splitlines() if x.startswith("HYPERBAND "))
    return json.loads(line.removeprefix("HYPERBAND "))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        a = run("fresh", root / "A")
        a2 = run("fresh", root / "A2")
        for kind in ("random", "grid", "bayesian"):
            shutil.copytree(root / "A" / kind, root / "B" / kind)
        b = run("resume", root / "B")
    print("trial  configuration  fresh A  fresh A2  resumed B")
    for (tid, config, sa), (_, config2, sa2), (_, config_b, sb) in zip(a, a2, b, strict=False):
        same = "same" if config == config2 == config_b else "DIFFERENT"
        print(f"{tid}   {config[:6]} ({same})  {sa:.4f}   {sa2:.4f}    {sb:.4f}")
    fresh_repeat = a == a2
    configs_same = [r[1] for r in a] == [r[1] for r in b]
    scores_moved = [r[2] for r in a] != [r[2] for r in b]
    print(f"two fresh runs identical: {fresh_repeat}")
    print(f"resumed run: same configurations {configs_same}, other scores {scores_moved}")


if __name__ == "__main__":
    if len(sys.argv) == 3:
        search(sys.argv[1], sys.argv[2])
    else:
        main()
