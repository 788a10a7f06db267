import { Module } from '@nestjs/common';
import { DashboardActionsController } from './actions/dashboard-actions.controller.js';
import { DASHBOARD_OPTIONS } from './dashboard.constants.js';
import { ConfigurableDashboardModule, DASHBOARD_MODULE_OPTIONS } from './dashboard.module-definition.js';
import type { DataQueueDashboardOptions } from './dashboard-options.js';
import { resolveDashboardOptions } from './dashboard-options.validation.js';
import { DashboardAssetsController } from './pages/dashboard-assets.controller.js';
import { DashboardPagesController } from './pages/dashboard-pages.controller.js';
import { PageContextFactory } from './pages/page-context.factory.js';
import { DashboardQueries } from './queries/dashboard-queries.js';
import { CsrfGuard } from './security/csrf.guard.js';
import { DashboardAccessGuard } from './security/dashboard-access.guard.js';

/**
 * The web dashboard, mounted by the host app: `DataQueueDashboardModule.forRoot({ path: 'queue',
 * guard: AdminGuard })`. Needs `DataQueueModule` in the same app. Server-rendered HTML, no
 * front-end build; works on the Express and Fastify platforms.
 */
@Module({
  controllers: [DashboardPagesController, DashboardActionsController, DashboardAssetsController],
  providers: [
    {
      provide: DASHBOARD_OPTIONS,
      inject: [DASHBOARD_MODULE_OPTIONS],
      useFactory: (options: DataQueueDashboardOptions) => resolveDashboardOptions(options),
    },
    DashboardQueries,
    PageContextFactory,
    DashboardAccessGuard,
    CsrfGuard,
  ],
})
export class DataQueueDashboardModule extends ConfigurableDashboardModule {}
