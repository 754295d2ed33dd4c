{
  "targets": [
    {
      "target_name": "handoff_fork",
      "sources": ["fork.c", "proc-events.c", "pidfd.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
