#!/usr/bin/env bash
# Renders the phone line's prompts (`meterdesk prompts`) as 8 kHz mono 16-bit WAV with espeak-ng
# and sox: OUT/uk/<name>.wav, OUT/en/<name>.wav and OUT/silence.wav. Recorded files with the same
# names (ivr.prompts_override) replace them at run time.
#   scripts/prompts.sh METERDESK_BINARY OUT_DIR
set -euo pipefail
binary=$1
out=$2
mkdir -p "$out/uk" "$out/en"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
render() {  # voice text target
  espeak-ng -v "$1" -s 150 -w "$tmp/raw.wav" "$2"
  # espeak-ng pads every clip with silence; a prompt of digits spoken one by one doubles with it.
  sox -q "$tmp/raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$3" gain -6 highpass 300 lowpass 3400 \
    silence 1 0.02 1% reverse silence 1 0.02 1% reverse norm -3 pad 0.02 0.12
}
while IFS=$'\t' read -r name uk en; do
  render uk "$uk" "$out/uk/$name.wav"
  render en-gb "$en" "$out/en/$name.wav"
done < <("$binary" prompts)
sox -n -r 8000 -c 1 -b 16 -e signed-integer "$out/silence.wav" trim 0 0.2
touch "$out/stamp"
