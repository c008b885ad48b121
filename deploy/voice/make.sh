#!/bin/sh
# The demo voice's clips, for machines without espeak-ng: each sentence spoken by
# espeak-ng, 16 kHz mono 16-bit (small). Run from the repository root:
#   sh deploy/voice/make.sh
set -eu
dir=$(dirname "$0")
i=0
while IFS= read -r line; do
  i=$((i + 1))
  espeak-ng -s 150 -w "$dir/tmp.wav" "$line"
  sox "$dir/tmp.wav" -r 16000 -c 1 -b 16 "$dir/$(printf '%02d' "$i").wav"
done <<'LINES'
Welcome in everybody, thanks for hanging out tonight.
Alright chat, we are going for the gym leader next.
Thank you so much for the follow, that means a lot.
Okay, that was close, I did not expect that critical hit.
LINES
rm -f "$dir/tmp.wav"
