{
  "targets": [
    {
      "target_name": "handoff_fork",
      "sources": ["fork.c", "proc-events.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
