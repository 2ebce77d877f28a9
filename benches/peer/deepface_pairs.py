"""Time deepface's DeepFace.verify on the first N pairs of a pairs CSV (the peer side of issue 6).

One process, one pair after another, deepface's own defaults for threads (nothing is limited: see "threads" in the
output for what they come to). One untimed warm-up call on the first pair builds and caches the models first.

  python benches/peer/deepface_pairs.py [--pairs ../shared/data/faces/pairs.csv] [-n 100] [--anti-spoofing]
                                        [--no-enforce-detection] [--source deepface] [--out FILE.json]

The CSV has columns img_a, img_b, same (1 genuine, 0 impostor), source, ...; image paths are relative to the CSV's
folder. Pairs are taken in file order (optionally only those of one --source), the first N of them.

DEEPFACE_HOME must point at a folder seeded by seed_weights.py, or deepface tries to download from GitHub.

Outcomes per pair: "match" / "no_match" (deepface's `verified`, distance <= its SFace cosine threshold 0.593, i.e.
cosine similarity >= 0.407), "spoof" (anti_spoofing=True and deepface raised SpoofDetected for a face in either
image), "no_face" (enforce_detection=True and no face found), "error" (anything else). Accuracy is reported twice:
over the pairs deepface decided (match/no_match), and over all pairs with every non-match outcome counted as a
rejection (right for an impostor, wrong for a genuine pair), which is what a caller would experience.
"""

import argparse
import csv
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import traceback

MODEL = "SFace"
DETECTOR = "yunet"
METRIC = "cosine"


def percentile(values, q):
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(q / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_busy_s():
    """CPU seconds all processes on the machine have been busy (from /proc/stat), or None off Linux."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cpu_since(cpu0, busy0):
    """(this process's CPU seconds, other processes' CPU seconds or None) since `os.times()` / `machine_busy_s()`."""
    cpu1, busy1 = os.times(), machine_busy_s()
    own = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    return own, None if busy0 is None or busy1 is None else max(0.0, (busy1 - busy0) - own)


def outcome_counts(results):
    """How many pairs ended in each "label:outcome"."""
    counts = {}
    for r in results:
        key = f"{r['label']}:{r['outcome']}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def load_pairs(path, n, source):
    root = os.path.dirname(os.path.abspath(path))
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if source:
        rows = [r for r in rows if r["source"] == source]
    rows = rows[:n]
    return [{"index": i, "img_a": r["img_a"], "img_b": r["img_b"], "same": r["same"] == "1", "source": r["source"],
             "path_a": os.path.join(root, r["img_a"]), "path_b": os.path.join(root, r["img_b"])}
            for i, r in enumerate(rows)]


def classify(exc):
    """Outcome of a failed verify: spoof / no_face / error, and which image (1 or 2) when deepface says."""
    from deepface.modules import exceptions as dfx

    chain, e = [], exc
    while e is not None and len(chain) < 8:
        chain.append(e)
        e = e.__cause__ or e.__context__
    image = None
    for e in chain:
        msg = str(e)
        if "img1_path" in msg:
            image = 1
        elif "img2_path" in msg:
            image = 2
    if any(isinstance(e, dfx.SpoofDetected) for e in chain):
        return "spoof", image
    if any(isinstance(e, (dfx.FaceNotDetected, dfx.ImgNotFound)) for e in chain) or any(
            "could not be detected" in str(e) or "Face could not" in str(e) for e in chain):
        return "no_face", image
    return "error", image


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--pairs", default=os.path.join(here, "..", "..", "..", "shared", "data", "faces", "pairs.csv"))
    ap.add_argument("-n", type=int, default=100, help="number of pairs (default 100)")
    ap.add_argument("--source", help="only pairs of this source column value")
    ap.add_argument("--anti-spoofing", action="store_true", help="DeepFace.verify(anti_spoofing=True)")
    ap.add_argument("--no-enforce-detection", action="store_true",
                    help="enforce_detection=False (default True: a photo without a face is an error, as in faceverify)")
    ap.add_argument("--out", help="write the JSON here (default: stdout)")
    args = ap.parse_args()

    if not os.environ.get("DEEPFACE_HOME"):
        sys.exit("DEEPFACE_HOME is not set; seed it with benches/peer/seed_weights.py (deepface would download)")
    pairs = load_pairs(args.pairs, args.n, args.source)
    if not pairs:
        sys.exit(f"no pairs in {args.pairs}")
    enforce = not args.no_enforce_detection

    load_start = os.getloadavg()
    t_import = time.perf_counter()
    from deepface import DeepFace  # noqa: E402  (timed: the import is part of a cold start)
    import cv2
    import deepface
    import numpy
    import onnxruntime
    from deepface.commons import backend_utils
    import_s = time.perf_counter() - t_import

    def verify(p):
        return DeepFace.verify(img1_path=p["path_a"], img2_path=p["path_b"], model_name=MODEL,
                               detector_backend=DETECTOR, distance_metric=METRIC, enforce_detection=enforce,
                               align=True, anti_spoofing=args.anti_spoofing, silent=True)

    # Warm-up: builds the YuNet, SFace (and Fasnet) sessions once; not counted.
    t0 = time.perf_counter()
    try:
        verify(pairs[0])
        warmup_error = None
    except Exception as e:  # pylint: disable=broad-except
        warmup_error = f"{type(e).__name__}: {e}"
    warmup_ms = (time.perf_counter() - t0) * 1000.0

    results = []
    cpu0 = os.times()
    busy0 = machine_busy_s()
    wall0 = time.perf_counter()
    for p in pairs:
        c0 = time.process_time()
        t0 = time.perf_counter()
        try:
            r = verify(p)
            ms = (time.perf_counter() - t0) * 1000.0
            cpu_ms = (time.process_time() - c0) * 1000.0
            outcome = "match" if r["verified"] else "no_match"
            rec = {"distance": round(float(r["distance"]), 6), "cosine": round(1.0 - float(r["distance"]), 6),
                   "threshold": r["threshold"]}
        except Exception as e:  # pylint: disable=broad-except
            ms = (time.perf_counter() - t0) * 1000.0
            cpu_ms = (time.process_time() - c0) * 1000.0
            outcome, image = classify(e)
            root = e
            while root.__cause__ is not None:
                root = root.__cause__
            rec = {"error": f"{type(e).__name__}: {e}", "error_image": image}
            if root is not e:
                rec["error_cause"] = f"{type(root).__name__}: {root}"
            if outcome == "error":
                rec["traceback"] = traceback.format_exc(limit=4)
        results.append({"index": p["index"], "img_a": p["img_a"], "img_b": p["img_b"], "source": p["source"],
                        "label": "genuine" if p["same"] else "impostor", "outcome": outcome,
                        "ms": round(ms, 3), "cpu_ms": round(cpu_ms, 3), **rec})
    total_s = time.perf_counter() - wall0
    # CPU time other processes took during the timed loop, as a share of all CPUs' time: how contended the run was
    own_cpu_s, other_cpu_s = cpu_since(cpu0, busy0)

    ms = [r["ms"] for r in results]
    cpu = [r["cpu_ms"] for r in results]
    counts = outcome_counts(results)
    decided = [r for r in results if r["outcome"] in ("match", "no_match")]
    correct = lambda r: (r["outcome"] == "match") == (r["label"] == "genuine")  # noqa: E731
    genuine = [r for r in results if r["label"] == "genuine"]
    impostor = [r for r in results if r["label"] == "impostor"]

    out = {
        "tool": "deepface",
        "call": (f"DeepFace.verify(img1_path, img2_path, model_name={MODEL!r}, detector_backend={DETECTOR!r}, "
                 f"distance_metric={METRIC!r}, enforce_detection={enforce}, align=True, "
                 f"anti_spoofing={args.anti_spoofing}, silent=True)"),
        "anti_spoofing": args.anti_spoofing,
        "enforce_detection": enforce,
        "pairs_csv": os.path.abspath(args.pairs),
        "selection": f"first {len(pairs)} rows in file order" + (f" with source={args.source}" if args.source else ""),
        "n": len(results),
        "timing_ms": {
            "p50": round(percentile(ms, 50), 2), "p95": round(percentile(ms, 95), 2),
            "mean": round(statistics.fmean(ms), 2), "min": round(min(ms), 2), "max": round(max(ms), 2),
            "total_s": round(total_s, 3), "pairs_per_s": round(len(ms) / total_s, 3),
            "warmup_ms": round(warmup_ms, 1), "import_s": round(import_s, 3),
        },
        # the same over the pairs deepface decided (match / no_match): a spoof or no-face exit skips work
        "timing_ms_decided": None if not decided else {
            "p50": round(percentile([r["ms"] for r in decided], 50), 2),
            "mean": round(statistics.fmean([r["ms"] for r in decided]), 2), "n": len(decided),
        },
        "cpu_ms": {  # process CPU time per pair (all threads): less sensitive to other load than wall time
            "p50": round(percentile(cpu, 50), 2), "p95": round(percentile(cpu, 95), 2),
            "mean": round(statistics.fmean(cpu), 2),
        },
        "warmup_error": warmup_error,
        "process_cpu_s": round(own_cpu_s, 3),
        "other_processes_cpu_s": None if other_cpu_s is None else round(other_cpu_s, 2),
        "other_processes_cpu_share": None if other_cpu_s is None else round(other_cpu_s / ((os.cpu_count() or 1) * total_s), 3),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "outcomes": counts,
        "errors": sum(1 for r in results if r["outcome"] == "error"),
        "accuracy": {
            "decided": len(decided),
            "accuracy_decided": round(sum(map(correct, decided)) / len(decided), 4) if decided else None,
            "accuracy_all_nonmatch_as_reject": round(sum(map(correct, results)) / len(results), 4),
            "genuine": len(genuine), "impostor": len(impostor),
            "false_non_match": sum(1 for r in genuine if r["outcome"] != "match"),
            "false_match": sum(1 for r in impostor if r["outcome"] == "match"),
        },
        "threads": {
            "note": "not limited: deepface's defaults. onnxruntime sessions (SFace, Fasnet) use intra_op threads = "
                    "physical cores; OpenCV's FaceDetectorYN (YuNet) uses cv2.getNumThreads()",
            "os_cpu_count": os.cpu_count(),
            "sched_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "cv2_num_threads": cv2.getNumThreads(),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        },
        "machine": {
            "cpu_model": cpu_model(), "platform": platform.platform(), "python": platform.python_version(),
            "loadavg_before": [round(x, 2) for x in load_start],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "note": "shared machine; loadavg shows other work (e.g. a concurrent cargo build) during the run",
        },
        "versions": {
            "deepface": getattr(deepface, "__version__", "unknown"), "backend_engine": backend_utils.get_backend_engine(),
            "onnxruntime": onnxruntime.__version__, "opencv": cv2.__version__, "numpy": numpy.__version__,
        },
        "deepface_home": os.environ["DEEPFACE_HOME"],
        "pairs": results,
    }
    text = json.dumps(out, indent=2)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)
    t = out["timing_ms"]
    a = out["accuracy"]
    print(f"deepface ({'anti_spoofing' if args.anti_spoofing else 'no anti-spoofing'}): {out['n']} pairs, "
          f"p50 {t['p50']} ms, p95 {t['p95']} ms, mean {t['mean']} ms, total {t['total_s']} s "
          f"(CPU p50 {out['cpu_ms']['p50']} ms; other processes took {out['other_processes_cpu_share']} of the CPUs); "
          f"outcomes {counts}; accuracy {a['accuracy_all_nonmatch_as_reject']} "
          f"(decided {a['decided']}: {a['accuracy_decided']})", file=sys.stderr)


if __name__ == "__main__":
    main()
