/** A setting is missing or malformed: start-up stops with this one line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
