// Section `signup`: POST /auth/signup with unique emails (signup.ts).
import { log } from '../log.js';
import { measureSignup } from '../signup.js';
import type { SectionContext } from './context.js';

export async function runSignup(context: SectionContext): Promise<void> {
  const { settings, stack, results } = context;
  log(`measuring POST /auth/signup, ${settings.signupConnections} connections (1 s warm-up + ${settings.signupDurationSeconds} s)`);
  const { measurement, non201 } = await context.profiled('signup', () =>
    measureSignup({
      apiUrl: stack.apiUrl!,
      runId: context.runId,
      connections: settings.signupConnections,
      durationSeconds: settings.signupDurationSeconds,
      warmupSeconds: 1,
      cpu: context.cpu(stack.pids.api),
    }),
  );
  results.measurements.apiSignup = measurement;
  results.signup = { non201 };
}
