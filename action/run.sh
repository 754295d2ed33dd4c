#!/usr/bin/env bash
# The run step of handoff's GitHub Action (action.yml): runs `handoff stress --json` with the action's inputs,
# passes its stderr through (progress, summary, ::error/::warning annotations), and writes the step's outputs:
# verdict, exit-code, report (report.json) and run-dir (absolute paths). handoff itself appends the report to the step summary;
# a run that never produced one gets a line there saying why. Exits with handoff's exit code.
#
# Inputs (environment): INPUT_COMMAND, INPUT_SUITE, INPUT_ARGS, INPUT_REPORT_DIR, INPUT_CONFIG (each optional;
# COMMAND and ARGS are split on whitespace: a command needing quotes goes in handoff.config.json as a list).
# HANDOFF_BIN: the handoff command to run (default: the project's node_modules/.bin/handoff, else `handoff`).
set -uo pipefail

out=${GITHUB_OUTPUT:-/dev/null}
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
report_dir=${INPUT_REPORT_DIR:-handoff-reports}

if [[ -n ${HANDOFF_BIN:-} ]]; then
  read -ra bin <<<"$HANDOFF_BIN"
elif [[ -x node_modules/.bin/handoff ]]; then
  bin=(node_modules/.bin/handoff)
else
  bin=(handoff)
fi

args=(stress --json --report-dir "$report_dir")
[[ -n ${INPUT_SUITE:-} ]] && args+=(--suite "$INPUT_SUITE")
[[ -n ${INPUT_CONFIG:-} ]] && args+=(--config "$INPUT_CONFIG")
if [[ -n ${INPUT_ARGS:-} ]]; then
  read -ra extra <<<"$INPUT_ARGS"
  args+=("${extra[@]}")
fi
if [[ -n ${INPUT_COMMAND:-} ]]; then
  read -ra command <<<"$INPUT_COMMAND"
  args+=(-- "${command[@]}")
fi

mkdir -p "$report_dir"
json=$(mktemp)
errors=$(mktemp)
trap 'rm -f "$json" "$errors"' EXIT
# stderr to the log as it comes (the runner reads the annotations there) and to a file for the outputs
"${bin[@]}" "${args[@]}" 2>&1 >"$json" | tee "$errors" >&2
code=${PIPESTATUS[0]}

# the report's verdict and run id, read with the node the action set up
fields=$(node -e '
  const fs = require("node:fs");
  try {
    const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    const one = Array.isArray(r) ? r[r.length - 1] : r;
    const verdict = Array.isArray(r) ? (r.every((x) => x.verdict === "pass") ? "pass" : r.find((x) => x.verdict !== "pass").verdict) : r.verdict;
    console.log(`${verdict} ${one.runId}`);
  } catch { console.log(""); }
' "$json")
verdict=${fields%% *}
run_id=${fields#* }

if [[ -n $fields ]]; then
  run_dir="$(cd "$report_dir" && pwd)/$run_id"
  report="$run_dir/report.json"
else
  # no report: a usage error (2), a target that never started (3, its record is in a run directory), a crash
  case $code in
    2) verdict=usage-error ;;
    3) verdict=not-started ;;
    *) verdict=error ;;
  esac
  run_dir=$(sed -n 's/^handoff: recorded in \(.*\) (.*)$/\1/p' "$errors" | tail -n 1)
  [[ -n $run_dir ]] && run_dir=$(realpath -m "$run_dir")
  report=""
  if [[ $code -ne 3 ]]; then
    {
      echo "### handoff: no report (exit $code, $verdict)"
      echo
      echo '```'
      grep '^handoff: ' "$errors" | tail -n 5
      echo '```'
    } >>"$summary"
  fi
fi

{
  echo "verdict=$verdict"
  echo "exit-code=$code"
  echo "report=$report"
  echo "run-dir=$run_dir"
} >>"$out"
exit "$code"
