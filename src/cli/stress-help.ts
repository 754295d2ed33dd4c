// The text after `handoff stress --help`'s options: examples, the suites, verdicts and exit codes, and the
// environment variables a user may set. Pure (the suite names come in), so a test reads it as the user does.
export function stressHelp(suites: readonly string[]): string {
  return `
Examples:
  handoff stress --strategy per-connection                   the reference proxy, suite ci
  handoff stress --mode server -- python3 app.py --port {port}
                                                             your server ({port} and $PORT: the port to listen on)
  handoff stress --mode server --ready-path /healthz --suite churn -- ./server {port}
  handoff stress --suite all --strategy prefork --json > runs.json
  handoff stress --config ci/handoff.config.json             target, suite, thresholds and allow-list from a file

Suites (stress/): ${suites.join(', ') || 'none found'}; "all" runs each in turn; or a suite file, or a suite of
  the config's "suites".

Verdicts and exit codes:
  0 pass · 1 fail (a check, threshold or expired allow-list entry) · 2 usage or config error · 3 the target never
  started or never got ready · 4 inconclusive: no check failed, but a generator did not reach its evidence floor
  (flood 100 responses, churn 50 connections EOF-timed, tunnel 4 tunnels, each scripted case once; suite "floor")
  before the suite's loadCap (30s) — never a pass · 70 internal error of handoff (a bug: please report it with the
  message) · 74 a report file could not be written · 130 interrupted (SIGINT/SIGTERM; recorded as interrupted)
  · 5 (handoff exec only) no leak, but the command itself failed
Protocol findings: a command target's answers to abusive input and failed origins are reported apart (report.md,
  report.html, junit.xml, summary) and do not fail the run, unless --strict-protocol.
Zombies are judged by time (suite zombieBound, 3s); the drain goes on past --drain while the tree still converges
  (suite drainExtension, 10s). docs/reading-a-report.md says what a verdict claims.
Credentials for the reference proxy: HANDOFF_PROXY_AUTH=user:pass or --auth-file FILE (mode 0600), never on the
  command line; the generators send them and every report masks them.
Other load tools and running servers: --load-cmd "<tool {url}>" drives the load phase with any tool (wrk, hey,
  autocannon, locust --headless; autocannon --json and wrk output are parsed into the load section; docs/load-cmd.md);
  --attach <pid> --port N judges a server someone else started (docs/attach.md); handoff exec -- <command> is the
  leak gate for a test command (docs/exec.md).
Power: once every floor is met, churn goes on toward 475 connections (suite "aim"), within 10 s of load in all.

Environment:
  HANDOFF_CONFIG=FILE         the config file when --config is not given (else the nearest handoff.config.json
                              from here up to the repository root)
  HANDOFF_PROXY_AUTH=u:p      credentials the reference proxy requires (and the generators send)
  HANDOFF_FAULT_SEED=N        replays the draws of --fault-rate
  GITHUB_ACTIONS=true         ::error/::warning annotations (set by GitHub's runner)
  GITHUB_STEP_SUMMARY=FILE    report.md is appended to it (set by GitHub's runner)
  HANDOFF_WHY=1               the watchdog explains a harness that does not exit (needs why-is-node-running)
  HANDOFF_WATCHDOG_MS=N       how long after a run the watchdog waits (default 5000)
  HANDOFF_NO_SUPERVISOR=1     no supervisor process (it records a run whose harness was killed)
  HANDOFF_RUN_ID              set by handoff in the target's environment: the marker its processes are found by`;
}
