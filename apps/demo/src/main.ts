import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

async function bootstrap(): Promise<void> {
  const logger = new Logger('Demo');

  // No DATABASE_URL: run on a throwaway PostgreSQL server, deleted again on shutdown.
  const embedded = process.env.DATABASE_URL
    ? null
    : await (await import('@dataqueue/nestjs/embedded')).startEmbeddedPostgres();
  if (embedded) {
    process.env.DATABASE_URL = embedded.url;
    logger.log(`started embedded PostgreSQL at ${embedded.url}`);
  }

  const app = await NestFactory.create(AppModule);
  if (embedded) {
    // SIGINT/SIGTERM: workers drain and hand running jobs back, then the database goes.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => void app.close().then(() => embedded.stop()).finally(() => process.exit(0)));
    }
  } else {
    app.enableShutdownHooks(); // SIGINT/SIGTERM: workers drain, running jobs are handed back
  }

  await app.listen(Number(process.env.PORT ?? 3000));
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  logger.log(
    [
      `DataQueue demo listening on ${url}  (dashboard: ${url}/queue)`,
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
