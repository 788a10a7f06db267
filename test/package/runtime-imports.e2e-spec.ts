import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { builtinModules } from 'node:module';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LIBRARY = join(ROOT, 'libs/data-queue');

/** Bare specifiers of static and dynamic imports in compiled ES modules. */
const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"./][^'"]*)['"]|import\s*\(\s*['"]([^'"./][^'"]*)['"]\s*\)|^import\s+['"]([^'"./][^'"]*)['"]/gm;

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

async function javascriptFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.js')).map((e) => join(e.parentPath, e.name));
}

describe('the published package', () => {
  it('declares every package its built files import at run time (dependency or peer)', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'dataqueue-build-'));
    try {
      await promisify(execFile)(process.execPath, [
        join(ROOT, 'node_modules/typescript/bin/tsc'),
        '-p',
        join(LIBRARY, 'tsconfig.lib.json'),
        '--outDir',
        outDir,
        '--sourceMap',
        'false',
        '--declaration',
        'false',
      ]);
      const manifest = JSON.parse(await readFile(join(LIBRARY, 'package.json'), 'utf8')) as Record<
        string,
        Record<string, string> | undefined
      >;
      const declared = new Set([
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.peerDependencies ?? {}),
        '@dataqueue/nestjs',
      ]);
      const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
      const undeclared = new Map<string, string>();
      const seen = new Set<string>();
      for (const file of [...(await javascriptFiles(outDir)), ...(await javascriptFiles(join(LIBRARY, 'bin')))]) {
        for (const match of (await readFile(file, 'utf8')).matchAll(IMPORT)) {
          const specifier = match[1] ?? match[2] ?? match[3];
          if (builtins.has(specifier) || builtins.has(specifier.split('/')[0])) continue;
          seen.add(packageOf(specifier));
          if (!declared.has(packageOf(specifier))) undeclared.set(packageOf(specifier), file.replace(outDir, 'dist'));
        }
      }
      expect(Object.fromEntries(undeclared)).toEqual({});
      // The scan sees imports (one that saw none would pass anything).
      expect([...seen]).toEqual(expect.arrayContaining(['@nestjs/common', '@nestjs/core', 'pg', 'typeorm']));
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  }, 120_000);
});
