import Koa from 'koa';
import Router from '@koa/router';
import { clientAddress } from '../clientAddress.js';
import type { ApiDeps } from './apiDeps.js';
import type { ApiState, RouteDef } from './apiContext.js';
import { authenticate, requirePermission } from './authorize.js';
import { CONSOLE_CSP, consoleStatic } from './consoleStatic.js';
import { accessLog } from './accessLog.js';
import { errorMiddleware } from './errorMiddleware.js';
import { auditRefusedCall } from './refusedCallAudit.js';
import { auditRoutes } from './routes/auditRoutes.js';
import { consoleAuthRoutes } from './routes/consoleAuthRoutes.js';
import { groupRoutes } from './routes/groupRoutes.js';
import { groupTreeRoutes } from './routes/groupTreeRoutes.js';
import { tokenRoutes } from './routes/tokenRoutes.js';
import { userRoutes } from './routes/userRoutes.js';
import { userLifecycleRoutes } from './routes/userLifecycleRoutes.js';
import { authRoutes } from './routes/authRoutes.js';
import { enrollRoutes } from './routes/enrollRoutes.js';
import { eventRoutes } from './routes/eventRoutes.js';
import { nodeRoutes } from './routes/nodeRoutes.js';
import { nodeLifecycleRoutes } from './routes/nodeLifecycleRoutes.js';
import { nodeServiceRoutes } from './routes/nodeServiceRoutes.js';
import { nodeStatusRoutes } from './routes/nodeStatusRoutes.js';
import { nodeConditionRoutes } from './routes/nodeConditionRoutes.js';
import { sessionRoutes } from './routes/sessionRoutes.js';
import { recordingRoutes } from './routes/recordingRoutes.js';
import { fileRoutes } from './routes/fileRoutes.js';
import { budgetRoutes } from './routes/budgetRoutes.js';
import { jobRoutes } from './routes/jobRoutes.js';
import { alertRoutes } from './routes/alertRoutes.js';
import { sessionRequestRoutes } from './routes/sessionRequestRoutes.js';
import { systemRoutes } from './routes/systemRoutes.js';
import { fleetRoutes } from './routes/fleetRoutes.js';

/** Every API route with the permission it needs; the authorization test walks this list. */
export function apiRoutes(d: ApiDeps): RouteDef[] {
  return [
    ...systemRoutes(d),
    ...authRoutes(d),
    ...consoleAuthRoutes(d),
    ...userRoutes(d),
    ...userLifecycleRoutes(d),
    ...groupRoutes(d),
    ...groupTreeRoutes(d),
    ...tokenRoutes(d),
    ...enrollRoutes(d),
    ...nodeRoutes(d),
    ...nodeLifecycleRoutes(d),
    ...nodeServiceRoutes(d),
    ...nodeStatusRoutes(d),
    ...nodeConditionRoutes(d),
    ...sessionRoutes(d),
    ...sessionRequestRoutes(d),
    ...auditRoutes(d),
    ...eventRoutes(d),
    ...recordingRoutes(d),
    ...fileRoutes(d),
    ...budgetRoutes(d),
    ...jobRoutes(d),
    ...fleetRoutes(d),
    ...alertRoutes(d),
  ];
}

/** The Koa application: error shape, security headers, the console's files, then the route table. */
export function createApp(d: ApiDeps): Koa<ApiState> {
  const app = new Koa<ApiState>();
  // Errors are answered by errorMiddleware; Koa's default handler would print them again.
  app.silent = true;
  const router = new Router<ApiState>();
  for (const route of apiRoutes(d)) {
    router.register(route.path, [route.method], async (ctx, next) => {
      try {
        if (route.permission !== 'public') {
          const principal = await authenticate(d.db, d.clock, ctx);
          ctx.state.principal = principal;
          requirePermission(principal, route.permission);
        }
        await route.handler(ctx);
      } catch (err) {
        if (route.permission !== 'public') auditRefusedCall(d.denials, ctx, `${route.method} ${route.path}`, err);
        throw err;
      }
      await next();
    });
  }
  app.use(accessLog({ clock: d.clock, ...(d.accessLog ? { log: d.accessLog } : {}), ...(d.requestObserver ? { observer: d.requestObserver } : {}) }));
  app.use(errorMiddleware(d.log));
  app.use(async (ctx, next) => {
    ctx.state.clientIp = clientAddress(ctx.req.socket).ip;
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Strict-Transport-Security', 'max-age=31536000');
    ctx.set('Content-Security-Policy', CONSOLE_CSP);
    ctx.set('Referrer-Policy', 'no-referrer');
    await next();
  });
  app.use(consoleStatic(d.consoleDir));
  app.use(router.routes());
  // throw: errorMiddleware answers 405/501 in the API's error shape (not as plain text).
  app.use(router.allowedMethods({ throw: true }));
  return app;
}
