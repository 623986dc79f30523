#!/usr/bin/env bash
# Install the built bundle for the current user (no root): the app folder, a `conv-workbench`
# command, the desktop menu entry, the icons and the AppStream metainfo.
#
#   bash packaging/build.sh && bash packaging/linux/install.sh [PREFIX]   # PREFIX: ~/.local
#
# Uninstall: bash packaging/linux/install.sh --uninstall [PREFIX]
set -euo pipefail
cd "$(dirname "$0")/../.."

id=io.github.convworkbench.ConvWorkbench
uninstall=0
if [[ "${1:-}" == "--uninstall" ]]; then uninstall=1; shift; fi
prefix="${1:-$HOME/.local}"
share="$prefix/share"
files=(
    "$prefix/bin/conv-workbench"
    "$share/applications/$id.desktop"
    "$share/icons/hicolor/scalable/apps/$id.svg"
    "$share/icons/hicolor/256x256/apps/$id.png"
    "$share/metainfo/$id.metainfo.xml"
)
if (( uninstall )); then
    rm -rf "$prefix/opt/conv-workbench" "${files[@]}"
    echo "removed Conv Workbench from $prefix"
    exit 0
fi
if [[ ! -x dist/conv-workbench/conv-workbench ]]; then
    echo "no bundle: run 'bash packaging/build.sh' first" >&2
    exit 1
fi
mkdir -p "$prefix/opt" "$prefix/bin"
rm -rf "$prefix/opt/conv-workbench"
cp -a dist/conv-workbench "$prefix/opt/conv-workbench"
ln -sfn "$prefix/opt/conv-workbench/conv-workbench" "$prefix/bin/conv-workbench"
install -Dm644 "packaging/linux/$id.desktop" "$share/applications/$id.desktop"
install -Dm644 resources/icons/app.svg "$share/icons/hicolor/scalable/apps/$id.svg"
install -Dm644 resources/icons/app.png "$share/icons/hicolor/256x256/apps/$id.png"
install -Dm644 "packaging/linux/$id.metainfo.xml" "$share/metainfo/$id.metainfo.xml"
command -v update-desktop-database > /dev/null && update-desktop-database -q "$share/applications" || true
echo "installed Conv Workbench in $prefix (command: $prefix/bin/conv-workbench)"
