#!/usr/bin/env bash
# Applet coverage per applet package (docs/robustness.md, "Coverage").
#   scripts/applet-coverage.sh            the end-to-end suite drives the applets
#   scripts/applet-coverage.sh fuzz N     only the fuzzer, N cases per applet state
# Prints instruction and branch coverage per package from JaCoCo's CSV report.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = fuzz ]; then
  mvn -B -q -Pcoverage,fuzz -pl simulator-tests -am -Dcardsmith.fuzz.tries="${2:-20000}" -Dcardsmith.fuzz.seed=1 test
else
  mvn -B -q -Pcoverage -pl simulator-tests -am test
fi
csv=simulator-tests/target/site/jacoco-aggregate/jacoco.csv
awk -F, 'NR > 1 { im[$2] += $4; ic[$2] += $5; bm[$2] += $6; bc[$2] += $7 }
  END { printf "%-32s %22s %22s\n", "package", "instructions", "branches";
        for (p in im) printf "%-32s %8d/%-7d %5.1f%% %8d/%-7d %5.1f%%\n", p, ic[p], im[p] + ic[p],
          100 * ic[p] / (im[p] + ic[p]), bc[p], bm[p] + bc[p], (bm[p] + bc[p]) ? 100 * bc[p] / (bm[p] + bc[p]) : 0 }' "$csv" | sort
echo "report: $csv and $(dirname "$csv")/index.html"
