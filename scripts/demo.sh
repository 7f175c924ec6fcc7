#!/usr/bin/env bash
# Installs lamina and runs the main job, `python -m lamina`: trains a model built from custom
# layers on the bundled 8x8 digits with fit, prints its summary and test accuracy, and saves it.
# Arguments are passed on (--epochs, --seed, --output, --batch-size, --verbose).
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check .
python3 -m lamina "$@"
