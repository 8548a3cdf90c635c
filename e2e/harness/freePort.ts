import net from 'node:net';
import { randomInt } from 'node:crypto';

/** A TCP port free on 127.0.0.1 right now (the kernel picks it; a race is possible but rare). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A random block of `size` ports inside 40000-64999 for session ports, so stacks started
 * in parallel (other engineers, other files) rarely share one; the server retries taken ports.
 */
export function sessionPortRange(size = 500): [number, number] {
  const from = 40000 + randomInt(0, Math.floor(25_000 / size)) * size;
  return [from, from + size - 1];
}

/** Resolves to the error code of a TCP connect to 127.0.0.1:port, or 'connected'. */
export function probePort(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}
