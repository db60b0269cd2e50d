// Progress lines on stderr; --json silences them, so that the run prints its JSON and nothing else.

let quiet = false;

export function setQuietLog(value: boolean): void {
  quiet = value;
}

export function log(message: string): void {
  if (!quiet) process.stderr.write(`[bench] ${message}\n`);
}
