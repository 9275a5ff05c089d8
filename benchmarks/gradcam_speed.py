"""Grad-CAM speed: the answer's per-image function versus our batched one (Q7).

Times, on the answer's CNN and the MNIST test images, the answer's function as written
(`gradcam.answer_grad_cam`: a model built per call, softmax score, ReLU then division by the
maximum) on the first 500 images, ours on the same 500 (cold: including building and tracing;
warm: reused), and ours on all 10,000; writes JSON. The speed-up is the ratio of seconds per
image.

    flock /tmp/dlhw-heavy.lock .venv/bin/python benchmarks/gradcam_speed.py

The weights are those of a freshly seeded model (or of `--weights`, a trained `.weights.h5`):
the amount of computation, hence the time, does not depend on their values.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

N_BASELINE = 500  # images explained one at a time by the answer's function
REPEATS = 3  # our timings are the median of this many runs
OUT = Path(__file__).resolve().parent / "results" / "gradcam_speed.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-baseline", type=int, default=N_BASELINE)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--weights", type=Path, help="trained weights (.weights.h5) to load")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    from dlhw import session  # first: quiet logs before TensorFlow loads

    session.setup()
    from dlhw import data, files, gradcam, models, results

    model = models.build_answer_cnn()
    if args.weights:
        model.load_weights(args.weights)
    (_, _), (x_test, _) = data.load_mnist()
    images = (x_test.astype("float32") / 255.0)[..., None]
    timings = gradcam.speed_comparison(
        model, images, n_baseline=args.n_baseline, repeats=args.repeats
    )
    payload = {
        "benchmark": "gradcam_speed",
        "model": "answer CNN (130,890 parameters), layer conv3 (7x7 maps)",
        "weights": "trained" if args.weights else "seeded initialisation",
        "machine": results.machine(),
        "timings": {k: round(v, 4) if isinstance(v, float) else v for k, v in timings.items()},
        "targets": {
            "all_images_under_s": 10.0,
            "speedup_at_least": 100.0,
            "met": timings["ours_all_s"] < 10.0 and timings["speedup"] >= 100.0,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    files.atomic_write_text(args.out, json.dumps(payload, indent=2) + "\n")
    print(json.dumps(payload["timings"], indent=2))


if __name__ == "__main__":
    main()
