#!/usr/bin/env bash
# Regenerates every app icon in icons/ from the one source image icons/logo.svg, with
# ImageMagick (Debian's /usr/bin/convert; the `convert` first on PATH may be another tool).
# Tauri needs RGBA PNGs, hence PNG32:. Run it after changing logo.svg and commit the output.
set -euo pipefail
cd "$(dirname "$0")/.."
src=icons/logo.svg
im=/usr/bin/convert
render() { # size output
  "$im" -background none -density 384 "$src" -resize "$1x$1" "PNG32:$2"
}
render 32 icons/32x32.png
render 64 icons/64x64.png
render 128 icons/128x128.png
render 256 icons/128x128@2x.png
render 512 icons/icon.png
# Windows icon with the sizes Explorer asks for.
"$im" -background none -density 384 "$src" -define icon:auto-resize=256,128,64,48,32,16 icons/icon.ico
echo "icons regenerated from $src:"
ls -l icons
