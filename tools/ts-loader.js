// Node module hooks that run the TypeScript sources without a build step.
// resolve: sources import siblings as `./file.js` (NodeNext style); fall back to `./file.ts`.
// load: transpile `.ts` files with SWC (type-checking is `npm run typecheck`'s job).
import { transformSync } from '@swc/core';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { swcOptions } from './swc-options.js';

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const isRelativeJs = /^\.{1,2}\//.test(specifier) && specifier.endsWith('.js');
    if (!isRelativeJs) throw error;
    return nextResolve(specifier.replace(/\.js$/, '.ts'), context);
  }
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return nextLoad(url, context);
  const filename = fileURLToPath(url);
  const source = await readFile(filename, 'utf8');
  const { code } = transformSync(source, { ...swcOptions, filename });
  return { format: 'module', source: code, shortCircuit: true };
}
