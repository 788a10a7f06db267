// `node --conditions=@dataqueue/source --import ./tools/register-ts.js app.ts`
import { register } from 'node:module';

register('./ts-loader.js', import.meta.url);
