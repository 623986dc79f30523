#!/usr/bin/env bash
# Build the one-folder bundle: dist/conv-workbench/conv-workbench (run from anywhere).
#
# A fresh venv (build/pack-venv) holds only the app and PyInstaller (`pip install ".[package]"`),
# so nothing else installed on the machine (torch, dask, scipy, the test tools) can end up in
# the bundle. Set CONV_WORKBENCH_BUILD_VENV to use another venv.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${CONV_WORKBENCH_BUILD_VENV:-build/pack-venv}"
python="${PYTHON:-python3}"
if [[ ! -x "$venv/bin/python" ]]; then
    echo "+ $python -m venv $venv"
    "$python" -m venv "$venv"
fi
echo "+ pip install .[package]"
"$venv/bin/pip" install -q ".[package]"

echo "+ pyinstaller packaging/conv-workbench.spec"
"$venv/bin/pyinstaller" --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/conv-workbench.spec

echo "built dist/conv-workbench/conv-workbench ($(du -sh dist/conv-workbench | cut -f1))"
