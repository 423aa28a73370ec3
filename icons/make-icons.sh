#!/bin/sh
# Regenerates Porthole's icons (a steel-blue porthole: ring, eight bolts, a glass window)
# with ImageMagick 6. Tauri needs 8-bit RGBA PNGs: hence PNG32:.
set -eu
cd "$(dirname "$0")"
C=/usr/bin/convert
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
bolts=$(awk 'BEGIN { pi = atan2(0, -1);
  for (i = 0; i < 8; i++) { a = pi / 4 * i + pi / 8; x = 256 + 206 * cos(a); y = 256 + 206 * sin(a);
    printf "circle %.1f,%.1f %.1f,%.1f ", x, y, x + 13, y } }')
$C -size 512x512 xc:none -fill '#3d84d6' -draw "circle 256,256 256,14" \
  -fill '#2a6bb8' -draw "circle 256,256 256,40" "$t/ring.png"
$C -size 512x512 xc:none -fill '#e9f2fc' -stroke '#1d4f8c' -strokewidth 3 -draw "$bolts" "$t/bolts.png"
$C -size 512x512 xc:none -fill '#0b2545' -draw "circle 256,256 256,80" "$t/rim.png"
$C -size 512x512 radial-gradient:'#a8e0ff'-'#0e4c93' -roll -60-70 "$t/grad.png"
$C -size 512x512 xc:black -fill white -draw "circle 256,256 256,98" "$t/mask.png"
$C "$t/grad.png" "$t/mask.png" -alpha off -compose CopyOpacity -composite "$t/glass.png"
$C -size 512x512 xc:none -fill 'rgba(255,255,255,0.55)' -draw "ellipse 205,200 70,38 0,360" \
  -distort SRT '205,200 1 -40' -blur 0x6 "$t/highlight.png"
$C "$t/ring.png" "$t/bolts.png" -composite "$t/rim.png" -composite "$t/glass.png" -composite \
  "$t/highlight.png" -composite -depth 8 PNG32:icon.png
$C icon.png -resize 32x32 -depth 8 PNG32:32x32.png
$C icon.png -resize 128x128 -depth 8 PNG32:128x128.png
$C icon.png -resize 256x256 -depth 8 PNG32:128x128@2x.png
