#!/usr/bin/env bash
# Start-up benchmark (issue 10): `cardsmith --version` against a simulated `device provision`,
# side by side (alternating, so both see the same machine load), in a throw-away CARDSMITH_HOME.
# Prints the median wall time and the median CPU time (user+sys) of each, and their ratio.
#
#   scripts/bench-startup.sh [ROUNDS]                       # the ./cardsmith launcher as users run it
#   CARDSMITH_FAST=0 scripts/bench-startup.sh               # the launcher without AppCDS / C1-only flags
#   CARDSMITH_CMD="java -jar old.jar" scripts/bench-startup.sh   # any other build, e.g. an older commit
#   BENCH_LEGACY=1 ...                                       # builds before the card option: --sim=FILE, no --dev
#   BENCH_HISTORY=500 scripts/bench-startup.sh 3            # also: opening a card after 500 signatures vs a fresh card
#
# The target of issue 10: provision <= 2 x --version and <= 1.5 s wall on a quiet 2-core machine.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
rounds="${1:-7}"
cmd="${CARDSMITH_CMD:-$here/cardsmith}"
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
export CARDSMITH_HOME="$home"

card() { if [ "${BENCH_LEGACY:-0}" = 1 ]; then echo "--sim=$home/$1.sim"; else echo "--dev --card sim:$home/$1.sim"; fi; }

# a distinct valid IMEI per card (an identity binds to one chip): 14 digits + the Luhn check digit
imei() { awk -v n="$1" 'BEGIN { b = sprintf("49015420%06d", n); s = 0
  for (i = 1; i <= 14; i++) { d = substr(b, i, 1) + 0; if (i % 2 == 0) { d *= 2; if (d > 9) d -= 9 }; s += d }
  printf "%s%d\n", b, (10 - s % 10) % 10 }'; }

# build, archive and first-use set-up (keystore, database, migrations) outside the measurement
$cmd --version >/dev/null
$cmd $(card warm) device provision --imei "$(imei 999999)" >/dev/null 2>&1

measure() { # prints "wall_ms cpu_ms"
  /usr/bin/time -f "%e %U %S" -o "$home/t" "$@" >/dev/null 2>"$home/err" || { cat "$home/err" >&2; exit 1; }
  awk '{printf "%d %d\n", $1*1000, ($2+$3)*1000}' "$home/t"
}

v_wall=(); v_cpu=(); p_wall=(); p_cpu=()
for i in $(seq 1 "$rounds"); do
  read -r w c < <(measure $cmd --version); v_wall+=("$w"); v_cpu+=("$c")
  read -r w c < <(measure $cmd $(card "card$i") device provision --imei "$(imei "$i")"); p_wall+=("$w"); p_cpu+=("$c")
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
vw=$(median "${v_wall[@]}"); vc=$(median "${v_cpu[@]}"); pw=$(median "${p_wall[@]}"); pc=$(median "${p_cpu[@]}")
echo "rounds: $rounds   command: $cmd   CARDSMITH_FAST=${CARDSMITH_FAST:-1}   load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-34s %8s %8s\n' "" "wall ms" "cpu ms"
printf '%-34s %8d %8d\n' "cardsmith --version" "$vw" "$vc"
printf '%-34s %8d %8d\n' "device provision (simulated card)" "$pw" "$pc"
awk -v pw="$pw" -v vw="$vw" -v pc="$pc" -v vc="$vc" 'BEGIN {printf "%-34s %8.2f %8.2f\n", "provision / --version", pw/vw, pc/vc}'

if [ -n "${BENCH_HISTORY:-}" ] && [ "${BENCH_LEGACY:-0}" != 1 ]; then
  # a saved card replays its whole journal on every open: cost grows with the card's history
  # (the PIV card signs nothing under its default PIN: change it first)
  $cmd --card "sim:$home/old.sim" csp pin change --pin 123456 --new-pin 314159 >/dev/null
  $cmd --card "sim:$home/old.sim" bench csp-sign --count "$BENCH_HISTORY" --pin 314159 >/dev/null
  f_wall=(); f_cpu=(); o_wall=(); o_cpu=()
  for i in $(seq 1 "$rounds"); do
    read -r w c < <(measure $cmd --card "sim:$home/fresh$i.sim" csp list); f_wall+=("$w"); f_cpu+=("$c")
    read -r w c < <(measure $cmd --card "sim:$home/old.sim" csp list); o_wall+=("$w"); o_cpu+=("$c")
  done
  printf '%-34s %8d %8d\n' "csp list, fresh card" "$(median "${f_wall[@]}")" "$(median "${f_cpu[@]}")"
  printf '%-34s %8d %8d   (%s bytes)\n' "csp list, after $BENCH_HISTORY signatures" "$(median "${o_wall[@]}")" "$(median "${o_cpu[@]}")" "$(stat -c %s "$home/old.sim")"
fi
