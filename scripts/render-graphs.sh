#!/usr/bin/env bash
# Render the graph of every sample and of the largest real-world definitions to SVG and PNG,
# to look at: scripts/render-graphs.sh [OUT_DIR]   (default target/graphs)
# PNGs need an SVG renderer: rsvg-convert (librsvg) or Python's cairosvg, installed here
# with pip when neither is present; without one, only the SVGs are written.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-target/graphs}"
mkdir -p "$out"
cargo build --release --quiet
bin=target/release/stepdbg

renderer=""
if command -v rsvg-convert >/dev/null; then
  renderer=rsvg
elif python3 -c "import cairosvg" 2>/dev/null || python3 -m pip install --quiet --user cairosvg 2>/dev/null; then
  python3 -c "import cairosvg" 2>/dev/null && renderer=cairosvg
fi
[ -z "$renderer" ] && echo "no SVG renderer (rsvg-convert or cairosvg): writing SVGs only" >&2

defs=$(ls samples/*.asl.* samples/*/*.asl.json)
defs+=" $(ls -S tests/data/realworld/definitions/* | head -5)"
for def in $defs; do
  name=$(basename "$def" | sed 's/\.asl\..*$//; s/\.json$//; s/\.ya\?ml$//')
  svg="$out/$name.svg"
  "$bin" graph "$def" --format svg -o "$svg" 2>/dev/null || { echo "skipped $def" >&2; continue; }
  case "$renderer" in
    rsvg) rsvg-convert -o "$out/$name.png" "$svg" ;;
    cairosvg) python3 -c "import sys, cairosvg; cairosvg.svg2png(url=sys.argv[1], write_to=sys.argv[2])" "$svg" "$out/$name.png" ;;
  esac
  echo "$out/$name.svg${renderer:+ and .png}"
done
