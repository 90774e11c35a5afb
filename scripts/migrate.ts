import { loadConfig } from '../src/config.js';
import { openPglite, openPostgres } from '../src/db/database.js';

const config = loadConfig();
const handle = config.DATABASE_URL ? await openPostgres(config.DATABASE_URL, { max: 1 }) : await openPglite(config.DATA_DIR);
await handle.close();
console.log(`migrations applied (${handle.kind})`);
