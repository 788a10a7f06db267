import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

async function bootstrap(): Promise<void> {
  const logger = new Logger('Demo');

  // No DATABASE_URL: run on a throwaway PostgreSQL server. It stops, and its data is deleted,
  // when the demo exits: on SIGINT/SIGTERM after the app below has closed.
  const embedded = process.env.DATABASE_URL ? null : await (await import('@dataqueue/nestjs/embedded')).startEmbeddedPostgres();
  if (embedded) {
    process.env.DATABASE_URL = embedded.url;
    // Not the URL: it carries the server's password.
    logger.log(`started embedded PostgreSQL on ${embedded.host}:${embedded.port}, database "${embedded.database}"`);
  }

  const app = await NestFactory.create(AppModule);
  app.enableShutdownHooks(); // SIGINT/SIGTERM: workers drain, running jobs are handed back

  // Loopback only unless HOST says otherwise (the dashboard is public in the demo).
  await app.listen(Number(process.env.PORT ?? 3000), process.env.HOST || '127.0.0.1');
  const bound = app.getHttpServer().address() as AddressInfo;
  const address = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  // A wildcard address is where it listens, not where to send requests.
  const reachable = address === '0.0.0.0' ? '127.0.0.1' : address === '[::]' ? '[::1]' : address;
  const url = `http://${reachable}:${bound.port}`;
  logger.log(
    [
      `DataQueue demo listening on ${address}:${bound.port}  (dashboard: ${url}/queue)`,
      `  curl -s -X POST ${url}/jobs/email -H 'content-type: application/json' -d '{"to":"me@example.com","subject":"Hi"}'`,
      `  curl -s ${url}/jobs/1`,
      `  curl -s '${url}/jobs?status=failed'`,
      `  curl -s -X POST ${url}/signups -H 'content-type: application/json' -d '{"email":"new@example.com"}'`,
      `  curl -s -X POST '${url}/signups?fail=1' -H 'content-type: application/json' -d '{"email":"gone@example.com"}'`,
      `  curl -s -X POST ${url}/reports -H 'content-type: application/json' -d '{"pages":3,"failPage":2}'`,
      `  curl -s ${url}/reports/<batch id>        (then POST ${url}/reports/<batch id>/retry or /cancel)`,
    ].join('\n'),
  );
}

bootstrap().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
