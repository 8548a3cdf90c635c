import { WebSocket } from 'ws';
import type { Clock, TimerHandle } from '../shared/clock.js';
import type { NodeConfig } from '../shared/config.js';
import { pinnedAgent, type PeerCheck } from '../shared/pinnedHttps.js';
import { TUNNEL_PATH } from '../shared/protocol.js';
import { SERVICE_TARGETS_HEADER } from '../shared/serviceTarget.js';
import { connectThroughProxy, type ProxyTarget } from './proxyConnect.js';

/**
 * Opens the WebSocket to the server's `/v1/tunnel`: TLS pinned to `tls.pin` (the enrolled
 * certificate's key, or the one it learned since), through a proxy when one is set;
 * `tls.onPeer` may take a certificate that does not match (see tlsRepin.ts). The service targets tell the server how to speak to each
 * WebUI (scheme, Host); the node still decides where a channel goes, from its own allow-list.
 * `localAddress` is the address a direct connection leaves from (the kernel's choice unless given).
 */
export function dialTunnel(config: NodeConfig, proxy: ProxyTarget | undefined, tls: { pin: string; onPeer?: PeerCheck } = { pin: config.tlsPin }, localAddress?: string): WebSocket {
  const url = new URL(TUNNEL_PATH, config.serverUrl.replace(/^http/, 'ws')).toString();
  const dial = proxy ? (host: string, port: number) => connectThroughProxy(proxy, host, port) : undefined;
  return new WebSocket(url, {
    agent: pinnedAgent(tls.pin, dial, tls.onPeer),
    headers: { [SERVICE_TARGETS_HEADER]: JSON.stringify(config.services) },
    perMessageDeflate: false,
    handshakeTimeout: 15_000,
    maxPayload: 1024 * 1024,
    ...(localAddress && !proxy ? { localAddress } : {}),
    // No `generateMask`: ws's default draws each frame's mask from a CSPRNG pool
    // (randomFillSync), as RFC 6455 asks. TLS-inspecting proxies on managed sites see these
    // frames in the clear, so a predictable (e.g. all-zero) mask is not ours to choose.
  });
}

/**
 * Closes a tunnel's WebSocket and resolves once it is closed: a clean close lets the SSH
 * disconnect reach the server, and is cut after 1 s if it stalls.
 */
export function closeTunnelSocket(ws: WebSocket, clock: Clock): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let cut: TimerHandle | undefined;
    ws.once('close', () => {
      if (cut) clock.clearTimeout(cut);
      resolve();
    });
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
    else {
      if (ws.readyState === WebSocket.OPEN) ws.close();
      cut = clock.setTimeout(() => ws.terminate(), 1_000);
    }
  });
}
