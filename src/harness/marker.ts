// The run marker: every target is launched with HANDOFF_RUN_ID=<run id> in its environment, and /proc/PID/environ
// keeps the initial environment, so a descendant that left the target's tree is still known as the run's.
export const MARKER_NAME = 'HANDOFF_RUN_ID';
