// The app's log lines, captured for assertions: pass `destination` as the stack's logDestination.
import { Writable } from 'node:stream';

export function captureLogLines(): { lines: string[]; destination: Writable } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, destination };
}
