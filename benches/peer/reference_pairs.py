"""Time the Python reference pipeline (../shared/models/reference/facepipe.py) on the first N pairs of a pairs CSV:
the naive pipeline issue 17 measures faceverify against.

One process, one pair after another, one intra-op thread per ONNX session (facepipe's default), the same model files
faceverify loads (models/, hash-checked by scripts/setup.sh). Per pair: cv2.imread of both photos, then
`Verifier.verify(selfie, id)`: YuNet on both (640x640), MiniFASNet V2 + V1SE on the selfie, SFace on both, cosine.
One untimed warm-up pair first.

  python benches/peer/reference_pairs.py --facepipe ../shared/models/reference/facepipe.py --models models \
                                         [--pairs ../shared/data/faces/pairs.csv] [-n 100] [--out FILE.json]

Outcomes: "match" (live >= 0.5 and cosine >= 0.363, facepipe's defaults), "not_live", "no_match", "no_face". The
reference's thresholds are not faceverify's, so its decisions are reported but not compared; the work per pair is
the same (faceverify also runs its quality gate, which costs well under a millisecond).
"""

import argparse
import importlib.util
import os
import platform
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deepface_pairs import cpu_model, cpu_since, load_pairs, machine_busy_s, outcome_counts, percentile  # noqa: E402


def load_facepipe(path):
    spec = importlib.util.spec_from_file_location("facepipe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--facepipe", required=True, help="path of facepipe.py")
    ap.add_argument("--models", required=True, help="folder with detection/, recognition/, liveness/")
    ap.add_argument("--pairs", required=True)
    ap.add_argument("-n", type=int, default=100)
    ap.add_argument("--out")
    args = ap.parse_args()

    import cv2
    import numpy
    import onnxruntime

    onnxruntime.set_default_logger_severity(3)  # facepipe loads SFace as shipped: one warning per weight input
    fp = load_facepipe(args.facepipe)
    verifier = fp.Verifier(final_dir=os.path.abspath(args.models), threads=1)
    pairs = load_pairs(args.pairs, args.n, None)
    if not pairs:
        sys.exit(f"no pairs in {args.pairs}")

    def run(p):
        a, b = cv2.imread(p["path_a"]), cv2.imread(p["path_b"])
        return verifier.verify(a, b)

    t0 = time.perf_counter()
    run(pairs[0])
    warmup_ms = (time.perf_counter() - t0) * 1000.0

    results = []
    busy0, cpu0, wall0 = machine_busy_s(), os.times(), time.perf_counter()
    for p in pairs:
        c0, t0 = time.process_time(), time.perf_counter()
        r = run(p)
        ms, cpu_ms = (time.perf_counter() - t0) * 1000.0, (time.process_time() - c0) * 1000.0
        if r["ok"]:
            outcome = "match"
        elif "reason" in r:
            outcome = "no_face"
        elif r["live_score"] < 0.5:
            outcome = "not_live"
        else:
            outcome = "no_match"
        results.append({"index": p["index"], "img_a": p["img_a"], "img_b": p["img_b"],
                        "label": "genuine" if p["same"] else "impostor", "outcome": outcome,
                        "ms": round(ms, 3), "cpu_ms": round(cpu_ms, 3)})
    total_s = time.perf_counter() - wall0
    _, other_cpu_s = cpu_since(cpu0, busy0)

    ms = [r["ms"] for r in results]
    cpu = [r["cpu_ms"] for r in results]
    counts = outcome_counts(results)
    out = {
        "tool": "facepipe (Python reference)",
        "call": "Verifier(threads=1).verify(cv2.imread(img_a), cv2.imread(img_b))",
        "pairs_csv": os.path.abspath(args.pairs),
        "n": len(results),
        "timing_ms": {
            "p50": round(percentile(ms, 50), 2), "p95": round(percentile(ms, 95), 2),
            "mean": round(statistics.fmean(ms), 2), "min": round(min(ms), 2), "max": round(max(ms), 2),
            "total_s": round(total_s, 3), "warmup_ms": round(warmup_ms, 1),
        },
        "cpu_ms": {"p50": round(percentile(cpu, 50), 2), "mean": round(statistics.fmean(cpu), 2)},
        "other_processes_cpu_share": None if other_cpu_s is None
        else round(other_cpu_s / ((os.cpu_count() or 1) * total_s), 3),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "outcomes": counts,
        "false_non_match": sum(1 for r in results if r["label"] == "genuine" and r["outcome"] != "match"),
        "false_match": sum(1 for r in results if r["label"] == "impostor" and r["outcome"] == "match"),
        "machine": {"cpu_model": cpu_model(), "cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "versions": {"onnxruntime": onnxruntime.__version__, "opencv": cv2.__version__, "numpy": numpy.__version__},
        "pairs": results,
    }
    text = __import__("json").dumps(out, indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
