import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from './app.js';
import { ConfigError, loadConfig, type AppConfig } from './config/config.js';

/** Starts the API on the configured port; resolves once it listens. */
export async function startServer(config: AppConfig, options: { shutdownHooks?: boolean } = {}): Promise<NestFastifyApplication> {
  const app = await createApp(config);
  if (options.shutdownHooks ?? true) app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  return app;
}

function isEntryPoint(): boolean {
  return process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
}

if (isEntryPoint()) {
  try {
    const config = loadConfig();
    await startServer(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`authmirror: configuration error: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
