/**
 * Compiles the bench suite and the library to plain JavaScript under bench/tmp/js, so the child
 * processes run without tools/ts-loader.js. W7 measures the worker process's memory, and a
 * production worker runs compiled JavaScript: under the loader (SWC in Node's module-hooks thread)
 * every child carried about 50 MB of loader, whichever system it ran.
 *
 * Same SWC options as the loader (legacy decorators + decorator metadata are what Nest DI reads),
 * except that source maps go to .map files next to the output, as `npm run build` writes them.
 * Imports of the library (`@dataqueue/nestjs`, `@dataqueue/nestjs/embedded`, …) become relative
 * paths into the compiled library, mapped from the `@dataqueue/source` entries of its exports;
 * everything else resolves from the repository's node_modules, which is above bench/tmp/js.
 * The output is wiped and rebuilt on every run.
 */
import type { Options } from '@swc/core';
import { transformSync } from '@swc/core';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const SOURCE_DIRS = ['bench/suite', 'libs/data-queue/src'];
const LIBRARY_DIR = 'libs/data-queue';
const SOURCE_CONDITION = '@dataqueue/source';

/** The library's package name and, per specifier of its exports map, the compiled entry point. */
interface Library {
  name: string;
  targets: Map<string, string>;
}

/** Compiles into `<root>/bench/tmp/js/<path from root>.js`; returns that directory. */
export async function compileForChildren(root: string): Promise<string> {
  const outDir = join(root, 'bench/tmp/js');
  const { swcOptions } = (await import(pathToFileURL(join(root, 'tools/swc-options.js')).href)) as { swcOptions: Options };
  const library = libraryTargets(root, outDir);

  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  // The repository's package.json says so too; this keeps the output ESM wherever it is looked at from.
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');

  const outputs: string[] = [];
  for (const dir of SOURCE_DIRS) {
    for (const entry of readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })) {
      if (!entry.endsWith('.ts') || entry.endsWith('.spec.ts') || entry.endsWith('.d.ts')) continue;
      const source = join(root, dir, entry);
      const output = join(outDir, dir, entry.replace(/\.ts$/, '.js'));
      const { code, map } = transformSync(readFileSync(source, 'utf8'), {
        ...swcOptions,
        filename: source,
        sourceFileName: relative(dirname(output), source).split(sep).join('/'),
        sourceMaps: true,
      });
      mkdirSync(dirname(output), { recursive: true });
      writeFileSync(output, `${rewriteLibraryImports(code, output, library)}\n//# sourceMappingURL=${basename(output)}.map\n`);
      if (map) writeFileSync(`${output}.map`, map);
      outputs.push(output);
    }
  }
  for (const [specifier, target] of library.targets) {
    if (!outputs.includes(target)) throw new Error(`${specifier} maps to ${relative(root, target)}, which was not compiled`);
  }
  return outDir;
}

/** `@dataqueue/nestjs[/subpath]` → its compiled entry point, from the `@dataqueue/source` entries of the exports map. */
function libraryTargets(root: string, outDir: string): Library {
  const pkg = JSON.parse(readFileSync(join(root, LIBRARY_DIR, 'package.json'), 'utf8')) as {
    name: string;
    exports: Record<string, string | Record<string, string>>;
  };
  const targets = new Map<string, string>();
  for (const [subpath, entry] of Object.entries(pkg.exports)) {
    const source = typeof entry === 'object' ? entry[SOURCE_CONDITION] : undefined;
    if (!source) continue;
    const specifier = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.replace(/^\.\//, '')}`;
    const sourceFile = join(root, LIBRARY_DIR, source);
    if (!existsSync(sourceFile)) throw new Error(`${LIBRARY_DIR}/package.json: ${specifier} → ${source}, which does not exist`);
    targets.set(specifier, join(outDir, relative(root, sourceFile)).replace(/\.ts$/, '.js'));
  }
  return { name: pkg.name, targets };
}

/** Rewrites static imports, re-exports and dynamic imports of the library; fails on one it has no target for. */
function rewriteLibraryImports(code: string, file: string, library: Library): string {
  const name = library.name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const pattern = new RegExp(`(\\bfrom\\s*|\\bimport\\s*\\(\\s*|\\bimport\\s+)(['"])(${name}(?:/[^'"]*)?)\\2`, 'g');
  return code.replace(pattern, (_match, keyword: string, quote: string, specifier: string) => {
    const target = library.targets.get(specifier);
    if (!target) throw new Error(`${file}: no compiled entry point for '${specifier}' (not in the library's exports map)`);
    let path = relative(dirname(file), target).split(sep).join('/');
    if (!path.startsWith('.')) path = `./${path}`;
    return `${keyword}${quote}${path}${quote}`;
  });
}
