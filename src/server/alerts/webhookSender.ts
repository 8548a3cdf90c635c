import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { TargetPolicy } from './targetPolicy.js';

/** The header that carries the signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`. */
export const SIGNATURE_HEADER = 'x-burrow-signature';

/** Signs a body as a receiver verifies it: HMAC-SHA256 over `${t}.${body}` with the channel's secret. */
export function signatureOf(secret: string, unixSeconds: number, body: string): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/**
 * POSTs one JSON body to a webhook, signed, to the address the policy checked. Redirects
 * are not followed and the response body is not read beyond its status, so a webhook URL
 * cannot turn the server into a reader of internal pages. Resolves on any 2xx.
 */
export async function postWebhook(o: { url: string; secret: string; body: string; deliveryId: string; nowMs: number; policy: TargetPolicy; timeoutMs: number }): Promise<void> {
  const url = new URL(o.url);
  const address = await o.policy.addressOf(url.hostname);
  const family = isIP(address);
  const client = url.protocol === 'https:' ? https : http;
  await new Promise<void>((resolve, reject) => {
    const req = client.request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'burrow-alerts',
        'x-burrow-delivery': o.deliveryId,
        [SIGNATURE_HEADER]: signatureOf(o.secret, Math.floor(o.nowMs / 1000), o.body),
      },
      // Connect to the checked address; TLS still verifies the certificate against the URL's host name.
      lookup: (_host, opts, cb) => {
        if ((opts as { all?: boolean }).all) (cb as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address, family }]);
        else cb(null, address, family);
      },
      timeout: o.timeoutMs,
    }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) resolve();
      else reject(new Error(`the webhook answered HTTP ${status}`));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(o.body);
  });
}
