{
  "targets": [
    {
      "target_name": "handoff_fork",
      "sources": ["fork.c", "proc-events.c", "pidfd.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      # Bind every symbol at load: a fork child's first calls into libc and libuv (_exit, prctl, uv_loop_fork, ...)
      # were resolved lazily in every child, each lookup walking node's symbol tables (~34 page faults per child).
      "ldflags": ["-Wl,-z,now"]
    }
  ]
}
