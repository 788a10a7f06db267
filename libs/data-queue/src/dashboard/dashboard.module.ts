import { Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
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
import { SecurityHeadersMiddleware } from './security/security-headers.middleware.js';

const CONTROLLERS = [DashboardPagesController, DashboardActionsController, DashboardAssetsController];

/**
 * The web dashboard, mounted by the host app: `DataQueueDashboardModule.forRoot({ path: 'queue',
 * guard: AdminGuard })`. Needs `DataQueueModule` in the same app. Server-rendered HTML, no
 * front-end build; works on the Express and Fastify platforms.
 */
@Module({
  controllers: CONTROLLERS,
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
export class DataQueueDashboardModule extends ConfigurableDashboardModule implements NestModule {
  /**
   * Options given as values are checked right here, so a bad one fails where it is written,
   * before the app starts connecting to Postgres (`forRootAsync` options are checked once made).
   */
  static override forRoot(options: Parameters<typeof ConfigurableDashboardModule.forRoot>[0]): DynamicModule {
    resolveDashboardOptions(options);
    return super.forRoot(options);
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(SecurityHeadersMiddleware).forRoutes(...CONTROLLERS);
  }
}
