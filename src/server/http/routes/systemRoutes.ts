import { BurrowError } from '../../../shared/errors.js';
import { TUNNEL_PATH } from '../../../shared/protocol.js';
import type { ApiDeps } from '../apiDeps.js';
import type { RouteDef } from '../apiContext.js';

/** Health and the plain-HTTP face of the tunnel endpoint. */
export function systemRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/healthz',
      permission: 'public',
      handler: async (ctx) => {
        await d.db.get('SELECT 1');
        ctx.body = { ok: true, nodesOnline: d.registry.size };
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
