#!/usr/bin/env bash
# Installs lamina and runs the main job (examples/demo.py).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check .
python3 examples/demo.py "$@"
