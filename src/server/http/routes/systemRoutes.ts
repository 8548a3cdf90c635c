import { BurrowError } from '../../../shared/errors.js';
import { TUNNEL_PATH } from '../../../shared/protocol.js';
import type { ApiDeps } from '../apiDeps.js';
import type { RouteDef } from '../apiContext.js';

/** Health, readiness and the plain-HTTP face of the tunnel endpoint. */
export function systemRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      permission: 'public',
      // The process is alive and answering: nothing else is checked, so a busy or failing
      // store does not get a live process restarted (that is what /readyz is for). Anyone
      // may ask, so it says nothing of the fleet: the node count is in /metrics.
      handler: async (ctx) => {
        ctx.body = { ok: true };
      },
    },
    {
      method: 'GET',
      path: '/readyz',
      permission: 'public',
      // Whether a balancer may send traffic here: store reachable, migrations applied, ports
      // listening, cluster bus hearing the other instances (its state is shown either way).
      handler: async (ctx) => {
        const failing = d.readiness ? await d.readiness() : await d.db.get('SELECT 1').then(() => [], () => ['store']);
        if (failing.length) throw new BurrowError('NOT_READY', `Not ready: ${failing.join(', ')}.`);
        ctx.body = { ok: true, clusterBus: d.cluster.linkState };
      },
    },
    {
      method: 'GET',
      path: TUNNEL_PATH,
      permission: 'public',
      // A real agent arrives as a WebSocket upgrade and never reaches Koa.
      handler: async (ctx) => {
        ctx.set('Upgrade', 'websocket');
        throw new BurrowError('UPGRADE_REQUIRED', 'This endpoint only speaks WebSocket (the burrow agent connects here).');
      },
    },
  ];
}
