import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataQueueDashboardModule, DataQueueExceptionFilter, DataQueueModule } from '@dataqueue/nestjs';
import { DataSource } from 'typeorm';
import { DemoJobsModule } from './demo-jobs.module.js';
import { JobsController } from './jobs/jobs.controller.js';
import { ReportsController } from './reports/reports.controller.js';
import { ReportsService } from './reports/reports.service.js';
import { DemoSeeder } from './seed/demo-seeder.js';
import { Signup } from './signups/signup.entity.js';
import { SignupsController } from './signups/signups.controller.js';
import { SignupsService } from './signups/signups.service.js';

@Module({
  imports: [
    // A factory, so DATABASE_URL is read at boot (main.ts may set it after starting embedded Postgres).
    TypeOrmModule.forRootAsync({
      useFactory: () => ({
        type: 'postgres',
        url: process.env.DATABASE_URL,
        entities: [Signup],
        synchronize: true, // demo only: use migrations in a real app
      }),
    }),
    // Reuse the app's DataSource: one pool, and `enqueue({ manager })` joins its transactions.
    DataQueueModule.forRootAsync({
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => ({
        dataSource,
        queues: 'mail:2;reports:2;*:5', // 2 slots each for `mail` and `reports`, 5 for every other queue
      }),
    }),
    // The dashboard at /queue. Open to anyone here (demo only): a real app passes its auth guard,
    // e.g. `guard: AdminGuard`, instead of `public: true`.
    DataQueueDashboardModule.forRoot({ path: 'queue', public: true }),
    DemoJobsModule,
  ],
  controllers: [JobsController, SignupsController, ReportsController],
  providers: [SignupsService, ReportsService, DemoSeeder, { provide: APP_FILTER, useClass: DataQueueExceptionFilter }],
})
export class AppModule {}
