// Preloaded (`node --import`) into every process the benchmark starts: when the benchmark
// process disappears without stopping its children (SIGKILL, crash), the child stops itself.
// An unref'd once-a-second check: no effect on the measured work.
const parent = Number(process.env.BENCH_PARENT_PID);

if (Number.isInteger(parent) && parent > 0) {
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
    setTimeout(() => process.exit(1), 3_000).unref();
  }, 1_000);
  timer.unref();
}

export {};
