#!/usr/bin/env node
// data-queue worker --module ./dist/jobs.module.js#JobsModule --queues 'mail:2;*:5' --health-port 8080
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import 'reflect-metadata';

const [command, ...args] = process.argv.slice(2);
const { parseWorkerSettings, runWorker } = await import('@dataqueue/nestjs/standalone');
try {
  if (command !== 'worker') throw new Error(`usage: data-queue worker [options] (data-queue worker --help)`);
  const settings = parseWorkerSettings(args);
  if (!settings.module) throw new Error('--module (or DQ_MODULE) is required: the file exporting your jobs module');
  const [file, exportName = 'JobsModule'] = settings.module.split('#');
  const exports = await import(pathToFileURL(resolve(file)).href);
  if (!exports[exportName]) throw new Error(`${file} has no export named ${exportName}`);
  await runWorker(exports[exportName], settings);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(2);
}
