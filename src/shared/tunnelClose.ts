/**
 * WebSocket close codes the server uses on `/v1/tunnel` to tell an agent why it is not
 * let in (SSH's auth failure carries no reason). 4000–4999 are for applications.
 */
export const TUNNEL_CLOSE = {
  pending: { code: 4409, reason: 'NODE_NOT_APPROVED' },
  revoked: { code: 4403, reason: 'NODE_REVOKED' },
} as const;
