// Prints a bearer token for trying the API locally: `npm run token -- user-1`, `npm run token -- letter-backend --service`
// or `npm run token -- op-alice --admin` (an operator).
// Signs with AUTH_JWT_SECRET, or the development secret that `npm start` wrote to DATA_DIR/secrets.json.
import { SignJWT } from 'jose';
import { loadConfig } from '../src/config.js';
import { loadOrCreateSecrets } from '../src/embedded-secrets.js';

const [subject = 'user-1', flag] = process.argv.slice(2);
const config = loadConfig();
const secret = config.AUTH_JWT_SECRET ?? loadOrCreateSecrets(config.DATA_DIR).secrets.jwtSecret;
const scopes: Record<string, string> = { '--service': 'realname:service', '--admin': 'realname:admin' };
const token = await new SignJWT(flag && scopes[flag] ? { scope: scopes[flag] } : {})
  .setProtectedHeader({ alg: 'HS256' })
  .setSubject(subject)
  .setIssuedAt()
  .setExpirationTime('12h')
  .sign(new TextEncoder().encode(secret));
console.log(token);
