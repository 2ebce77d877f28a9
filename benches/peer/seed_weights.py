"""Seed deepface's weights folder from files this repository obtains without GitHub.

deepface downloads every weight file from GitHub or Hugging Face on first use, which the project's machines cannot
reach. It looks a file up as DEEPFACE_HOME/.deepface/weights/<name> and downloads only when that path is not a file
(deepface 0.0.103, deepface/commons/weight_utils.py::download_weights_if_necessary; it checks no hash). So we put the
files there ourselves, after checking each source against models/manifest.toml:

  face_detection_yunet_2023mar.onnx    symlink -> models/detection/face_detection_yunet_2023mar.onnx
                                       (deepface YuNet.py, read by cv2.FaceDetectorYN; same bytes as its URL's file)
  face_recognition_sface_2021dec.onnx  symlink -> models/recognition/face_recognition_sface_2021dec.onnx
                                       (deepface facial_recognition/onnx/SFace.py; same bytes as its URL's file)
  2.7_80x80_MiniFASNetV2.onnx          derived from models/liveness/minifasnet_v2_2.7_80x80.onnx   (--anti-spoofing)
  4_0_0_80x80_MiniFASNetV1SE.onnx      derived from models/liveness/minifasnet_v1se_4.0_80x80.onnx (--anti-spoofing)

The two MiniFASNet files are NOT deepface's own exports (those are release assets on GitHub / Hugging Face, and no
package registry carries them or the upstream .pth checkpoints). deepface's ONNX Fasnet
(deepface/models/spoofing/onnx/FasNet.py) feeds a channels-last (1, 80, 80, 3) BGR crop in raw 0..255 and expects
softmax probabilities [1, 3]; faceverify's files are exports of the same upstream checkpoints
(minivision-ai/Silent-Face-Anti-Spoofing@b6d5f04a) taking (N, 3, 80, 80) BGR raw 0..255 and giving logits. The derived
graph is faceverify's graph with a Transpose(0, 3, 1, 2) in front and a Softmax(axis=1) behind, nothing else; this
script checks that numerically before writing it.

Usage: python seed_weights.py DEEPFACE_HOME [--anti-spoofing] [--report FILE.json]
Run from the repository root (it reads models/manifest.toml and models/...).
"""

import argparse
import hashlib
import json
import os
import sys
import tomllib

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

LINKED = {  # deepface file name -> manifest role
    "face_detection_yunet_2023mar.onnx": "detection",
    "face_recognition_sface_2021dec.onnx": "recognition",
}
DERIVED = {  # deepface file name -> manifest role of the faceverify graph it is derived from
    "2.7_80x80_MiniFASNetV2.onnx": "liveness_v2",
    "4_0_0_80x80_MiniFASNetV1SE.onnx": "liveness_v1se",
}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def manifest_models():
    with open(os.path.join(REPO, "models", "manifest.toml"), "rb") as f:
        return {m["role"]: m for m in tomllib.load(f)["model"]}


def checked_source(models, role):
    entry = models[role]
    path = os.path.join(REPO, "models", entry["file"])
    if not os.path.isfile(path):
        sys.exit(f"seed: {path} is missing; run scripts/setup.sh first")
    got = sha256(path)
    if got != entry["sha256"]:
        sys.exit(f"seed: sha256 mismatch for {path}: manifest {entry['sha256']}, file {got}")
    return path, got


def derive_fasnet(src, dst):
    """faceverify's MiniFASNet graph, NCHW logits -> deepface's layout, NHWC in, softmax out."""
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    model = onnx.load(src)
    graph = model.graph
    if len(graph.input) != 1 or len(graph.output) != 1:
        sys.exit(f"seed: {src}: expected one input and one output")
    old_in, old_out = graph.input[0], graph.output[0]
    batch = old_in.type.tensor_type.shape.dim[0]
    batch_dim = batch.dim_param or batch.dim_value or "batch"
    channels, height, width = (d.dim_value for d in old_in.type.tensor_type.shape.dim[1:])
    new_in = helper.make_tensor_value_info("input_nhwc", TensorProto.FLOAT, [batch_dim, height, width, channels])
    new_out = helper.make_tensor_value_info("probs", TensorProto.FLOAT, [batch_dim, 3])
    graph.node.insert(0, helper.make_node("Transpose", ["input_nhwc"], [old_in.name], perm=[0, 3, 1, 2],
                                          name="nhwc_to_nchw"))
    graph.node.append(helper.make_node("Softmax", [old_out.name], ["probs"], axis=1, name="softmax"))
    graph.ClearField("input")
    graph.input.append(new_in)
    graph.ClearField("output")
    graph.output.append(new_out)
    model.doc_string = (f"deepface-layout wrapper of faceverify {os.path.relpath(src, REPO)}: "
                        "Transpose(0,3,1,2) -> original graph -> Softmax(axis=1). Written by benches/peer/seed_weights.py")
    onnx.checker.check_model(model)

    # Check: wrapper(x_nhwc) == softmax(original(x_nchw)) on random crops in 0..255.
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(4, height, width, channels)).astype(np.float32)
    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    orig = ort.InferenceSession(src, opts, providers=["CPUExecutionProvider"])
    logits = orig.run(None, {old_in.name: np.ascontiguousarray(x.transpose(0, 3, 1, 2))})[0]
    want = np.exp(logits - logits.max(1, keepdims=True))
    want /= want.sum(1, keepdims=True)
    wrapped = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    got = wrapped.run(None, {"input_nhwc": x})[0]
    diff = float(np.abs(got - want).max())
    if diff > 1e-5:
        sys.exit(f"seed: derived {dst} differs from softmax({src}) by {diff}")

    tmp = dst + ".part"
    onnx.save(model, tmp)
    os.replace(tmp, dst)
    return diff


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("deepface_home")
    ap.add_argument("--anti-spoofing", action="store_true", help="also derive the two MiniFASNet ONNX files")
    ap.add_argument("--report", help="write what was seeded, with sha256s, to this JSON file")
    args = ap.parse_args()

    models = manifest_models()
    weights = os.path.join(os.path.abspath(args.deepface_home), ".deepface", "weights")
    os.makedirs(weights, exist_ok=True)
    report = {"deepface_home": os.path.abspath(args.deepface_home), "files": []}

    for name, role in LINKED.items():
        src, digest = checked_source(models, role)
        dst = os.path.join(weights, name)
        if os.path.lexists(dst):
            os.remove(dst)
        os.symlink(os.path.relpath(src, weights), dst)
        assert sha256(dst) == digest
        report["files"].append({"file": name, "how": "symlink", "source": os.path.relpath(src, REPO),
                                "sha256": digest, "manifest_sha256": models[role]["sha256"],
                                "matches_manifest": True})

    for name, role in DERIVED.items():
        dst = os.path.join(weights, name)
        if not args.anti_spoofing:
            if os.path.lexists(dst):  # no stale anti-spoofing weights when the run is without it
                os.remove(dst)
            continue
        src, digest = checked_source(models, role)
        diff = derive_fasnet(src, dst)
        report["files"].append({"file": name, "how": "derived: Transpose(0,3,1,2) + graph + Softmax(axis=1)",
                                "source": os.path.relpath(src, REPO), "source_sha256": digest,
                                "manifest_sha256": models[role]["sha256"], "matches_manifest": True,
                                "sha256": sha256(dst), "max_abs_diff_vs_softmax_of_source": diff})

    for f in report["files"]:
        print(f"seed: {f['file']:38s} {f['sha256']}  <- {f['source']} ({f['how']})", file=sys.stderr)
    if args.report:
        os.makedirs(os.path.dirname(os.path.abspath(args.report)), exist_ok=True)
        with open(args.report, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
