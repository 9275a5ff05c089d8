"""Forward-pass latency of Conv1D versus LSTM as the sequence grows, at several batch sizes (Q4).

The Q4 notebook times one batch size; this script repeats the sweep for batch sizes 1, 32 and
128 and writes JSON with every median time and the fitted log-log slopes:

    flock /tmp/dlhw-heavy.lock .venv/bin/python benchmarks/sequence_latency.py

With batch 1 the convolution has the least work to spread over the cores, so the contrast with
the LSTM's sequential steps is the sharpest; with batch 128 both are closer to compute-bound.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

OUT = Path(__file__).resolve().parent / "results" / "sequence_latency.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 32, 128])
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    from dlhw import session  # first: quiet logs before TensorFlow loads

    session.setup()
    import tensorflow as tf

    from dlhw import files, results, sequence_models as sm

    lengths = sm.sweep_lengths(args.max_length)
    sweeps = {}
    for batch in args.batches:
        for kind in ("conv1d", "lstm"):
            model = sm.latency_layer(kind, width=args.width, features=args.width)
            seconds = sm.forward_latency(
                model, lengths, batch=batch, features=args.width, repeats=args.repeats
            )
            slope = sm.loglog_slope(list(seconds), list(seconds.values()))
            sweeps[f"{kind}_batch{batch}"] = {
                "seconds": {str(n): round(s, 6) for n, s in seconds.items()},
                "loglog_slope": round(slope, 3),
            }
            print(
                f"{kind:6s} batch {batch:4d}: slope {slope:.2f}, "
                f"{1e3 * seconds[lengths[-1]]:.1f} ms at {lengths[-1]} steps",
                flush=True,
            )
    payload = {
        "benchmark": "sequence_latency",
        "width": args.width,
        "repeats": args.repeats,
        "device": "CPU only (no GPU visible)"
        if not tf.config.list_physical_devices("GPU")
        else "GPU visible",
        "machine": results.machine(),
        "sweeps": sweeps,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    files.atomic_write_text(args.out, json.dumps(payload, indent=2) + "\n")
    print(f"wrote {args.out.name}")


if __name__ == "__main__":
    main()
