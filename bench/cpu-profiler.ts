// Preloaded (`node --import`) into the API only when BENCH_PROFILE=1 (the process then has an
// IPC channel): {benchProfile:'start'} starts the V8 CPU profiler of the main thread,
// {benchProfile:'stop', file} stops it, writes the profile to `file` and answers
// {benchProfileWritten: file}. Lets the benchmark profile exactly its measurement windows.
// (Signals are no use here: Nest's shutdown hooks treat SIGUSR2 as a shutdown signal.)
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

interface Command {
  benchProfile?: 'start' | 'stop';
  file?: string;
}

if (process.send) {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))),
    );
  process.channel?.unref();
  process.on('message', (message: Command) => {
    if (message?.benchProfile === 'start') {
      void post('Profiler.enable')
        .then(() => post('Profiler.setSamplingInterval', { interval: 200 }))
        .then(() => post('Profiler.start'))
        .then(() => process.send?.({ benchProfileStarted: true }));
    } else if (message?.benchProfile === 'stop' && message.file) {
      const file = message.file;
      void post('Profiler.stop').then((result) => {
        writeFileSync(file, JSON.stringify((result as { profile: unknown }).profile));
        process.send?.({ benchProfileWritten: file });
      });
    }
  });
}

export {};
