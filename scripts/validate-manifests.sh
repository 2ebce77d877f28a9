#!/usr/bin/env bash
# The Kubernetes manifests (deploy/kubernetes/) against the API schemas of the Kubernetes versions a lender may run,
# strictly (an unknown field is an error): kubernetes-validate (PyPI, pinned) carries the schemas, so no cluster and
# no network beyond the package index are needed. tests/deploy.rs checks that they agree with the service.
#   scripts/validate-manifests.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=target/kubernetes-validate
if [ ! -x "$VENV/bin/kubernetes-validate" ]; then
  "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet kubernetes-validate==1.37.0 >&2
fi
for version in 1.30.0 1.37.0; do
  "$VENV/bin/kubernetes-validate" --strict --quiet -k "$version" deploy/kubernetes/*.yaml
done
echo "deploy/kubernetes: valid against Kubernetes 1.30 and 1.37 (strict)"
