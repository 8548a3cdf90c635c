import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestHead } from './httpHead.js';
import { crossOriginRefusal } from './originCheck.js';

const OWN = 'https://burrow.example:41000';
const head = (lines: string) => parseRequestHead(Buffer.from(`${lines}Host: burrow.example:41000`, 'latin1'));
const ws = (origin: string) => head(`GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${origin ? `Origin: ${origin}\r\n` : ''}`);

describe('crossOriginRefusal', () => {
  it('refuses a WebSocket upgrade from any origin but the session port\'s own', () => {
    assert.equal(crossOriginRefusal(ws('https://burrow.example:42000'), OWN), 'cross-origin websocket');
    assert.equal(crossOriginRefusal(ws('https://evil.example'), OWN), 'cross-origin websocket');
    assert.equal(crossOriginRefusal(ws('null'), OWN), 'cross-origin websocket');
    assert.equal(crossOriginRefusal(ws(OWN), OWN), undefined);
    assert.equal(crossOriginRefusal(ws('HTTPS://BURROW.example:41000'), OWN), undefined, 'origins compare as the browser serializes them');
    assert.equal(crossOriginRefusal(ws(''), OWN), undefined, 'a non-browser client sends no Origin');
  });

  it('refuses unsafe requests the browser marks as coming from elsewhere', () => {
    assert.equal(crossOriginRefusal(head('POST /x HTTP/1.1\r\nSec-Fetch-Site: cross-site\r\n'), OWN), 'cross-origin POST');
    assert.equal(crossOriginRefusal(head('DELETE /x HTTP/1.1\r\nSec-Fetch-Site: same-site\r\n'), OWN), 'cross-origin DELETE');
    assert.equal(crossOriginRefusal(head('PUT /x HTTP/1.1\r\nOrigin: https://burrow.example:42000\r\n'), OWN), 'cross-origin PUT');
    assert.equal(crossOriginRefusal(head('POST /x HTTP/1.1\r\nOrigin: null\r\n'), OWN), 'cross-origin POST');
    assert.equal(crossOriginRefusal(head(`POST /x HTTP/1.1\r\nOrigin: ${OWN}\r\nOrigin: https://evil.example\r\n`), OWN), 'cross-origin POST');
  });

  it('passes same-origin requests, safe methods, and clients that are not browsers', () => {
    assert.equal(crossOriginRefusal(head(`POST /x HTTP/1.1\r\nSec-Fetch-Site: same-origin\r\nOrigin: ${OWN}\r\n`), OWN), undefined);
    assert.equal(crossOriginRefusal(head('POST /x HTTP/1.1\r\nSec-Fetch-Site: none\r\n'), OWN), undefined, 'typed into the address bar or a bookmark');
    assert.equal(crossOriginRefusal(head('POST /x HTTP/1.1\r\nSec-Fetch-Site: same-origin\r\nOrigin: null\r\n'), OWN), undefined, 'a page of the WebUI with Referrer-Policy: no-referrer posts with Origin null');
    assert.equal(crossOriginRefusal(head('GET /x HTTP/1.1\r\nSec-Fetch-Site: cross-site\r\n'), OWN), undefined, 'navigating to the session from the console');
    assert.equal(crossOriginRefusal(head('OPTIONS /x HTTP/1.1\r\nOrigin: https://evil.example\r\n'), OWN), undefined);
    assert.equal(crossOriginRefusal(head('POST /x HTTP/1.1\r\n'), OWN), undefined, 'curl');
  });
});
