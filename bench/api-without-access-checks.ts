// The API as it answered GET /users/me before devices and access refusals: the same process,
// with the guard's new work taken out. AccessRegistry.refusal is back to the one check it
// replaced (the deleted-users set) and DeviceSightings.seen does nothing. Measured next to the
// API in the same run ("me" section), so the ratio is the cost of the new checks.
//
// Env: as the API's.
import { AccessRegistry } from '../src/access/access-registry.js';
import { createApp } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { DeviceSightings } from '../src/devices/device-sightings.js';

const config = loadConfig();
const app = await createApp(config);
const registry = app.get(AccessRegistry);
registry.refusal = (user) => (registry.isDeleted(user.id) ? 'user_deleted' : null);
app.get(DeviceSightings).seen = () => undefined;
app.enableShutdownHooks();
await app.listen(config.port, config.host);
