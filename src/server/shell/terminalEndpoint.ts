import { shellApprovalWhat } from '../../shared/approvalProtocol.js';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type Koa from 'koa';
import { WebSocket, WebSocketServer } from 'ws';
import { BurrowError, toBurrowError } from '../../shared/errors.js';
import { SHELL_PATH_RE, SHELL_SERVICE, type TerminalEvent } from '../../shared/protocol.js';
import { newId } from '../../shared/secrets.js';
import type { ApiDeps } from '../http/apiDeps.js';
import type { ApiState } from '../http/apiContext.js';
import { holdWhileOperator } from '../http/holdWhileOperator.js';
import { authorityEndNotice, type AuthorityEndReason } from '../auth/authorityBus.js';
import { appendAudit, recordAudit } from '../store/auditStore.js';
import { finishRecording, groupRecordsShell, insertRecording } from '../store/recordingStore.js';
import { CastRecorder } from './castRecorder.js';
import { openNodeShell, type NodeShell } from './nodeShell.js';
import { authorizeTerminal } from './terminalAuth.js';
import { bridgeTerminal, type TerminalEnd } from './terminalBridge.js';
import { clientAddress } from '../clientAddress.js';
import { assertWithinBudget } from '../budget/nodeBudget.js';

/** What the terminal endpoint needs besides the API's dependencies. */
export interface TerminalEndpointDeps {
  api: ApiDeps;
  app: Koa<ApiState>;
  /** The server's SSH host private key: the key a node's shell lets in. */
  hostKey: string;
  recordingsDir: string;
}

/** An approved shell must open within this long; the grant is spent by its one channel. */
const SHELL_GRANT_MS = 60_000;

const size = (v: string | null) => (v !== null && /^\d{1,4}$/.test(v) && Number(v) > 0 && Number(v) <= 1000 ? Number(v) : undefined);

/**
 * `GET /v1/nodes/:id/shell`, upgraded to a WebSocket: a terminal (or one command) on the
 * node's shell. Checked like an API route before the upgrade, so a refusal is an ordinary
 * HTTP error with the API's JSON body. Every session is audited (open and close, with its
 * duration) and, unless the node's group switched it off, recorded.
 */
export class TerminalEndpoint {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false });
  private readonly live = new Set<NodeShell>();
  /** Upgrades being accepted and sessions being bridged: close() waits for their audit writes. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly deps: TerminalEndpointDeps) {}

  /** Whether an upgrade request is for a node's terminal. */
  handles(req: IncomingMessage): boolean {
    return SHELL_PATH_RE.test((req.url ?? '').split('?')[0] ?? '');
  }

  /** Takes over an upgrade request for a terminal. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    this.track(this.accept(req, socket, head).catch((err: unknown) => refuse(socket, toBurrowError(err), this.deps.api)));
  }

  private async accept(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const d = this.deps.api;
    if (this.closed) throw new BurrowError('SERVER_UNREACHABLE', 'The server is shutting down.');
    const url = new URL(req.url ?? '/', 'https://burrow.invalid');
    const ref = decodeURIComponent(SHELL_PATH_RE.exec(url.pathname)?.[1] ?? '');
    const grant = await authorizeTerminal(d, this.deps.app, req, ref, url);
    const { node, principal } = grant;
    if (node.status !== 'approved') throw new BurrowError('NODE_NOT_APPROVED', `Node ${node.name} is ${node.status}.`);
    const conn = d.registry.get(node.id);
    if (!conn) throw new BurrowError('NODE_OFFLINE', `Node ${node.name} is offline.`);
    if (!conn.services.has(SHELL_SERVICE)) throw new BurrowError('SHELL_UNAVAILABLE', `The shell is turned off on node ${node.name} (its operator can run "burrow node shell on").`);
    await assertWithinBudget(d.db, node, d.clock.now()).catch(async (err: Error) => {
      await recordAudit(d.db, { actor: principal.userId, sourceIp: grant.clientIp, target: node.id, groupId: node.groupId, action: 'shell.open', result: 'denied', detail: { error: err.message } }, d.clock.now());
      throw err;
    });
    const command = url.searchParams.get('cmd') ?? undefined;
    const cols = size(url.searchParams.get('cols'));
    const rows = size(url.searchParams.get('rows'));
    const term = /^[\w.+-]{1,40}$/.test(url.searchParams.get('term') ?? '') ? (url.searchParams.get('term') as string) : 'xterm-256color';
    // A login shell always gets a terminal; a command only when the caller sized one.
    const pty = cols && rows ? { cols, rows, term } : command === undefined ? { cols: 80, rows: 24, term } : undefined;
    const audit = { actor: principal.userId, sourceIp: grant.clientIp, target: node.id, groupId: node.groupId };
    let shell: NodeShell;
    // The caller hanging up while the person on site decides withdraws the request.
    const gone = new AbortController();
    const onGone = () => gone.abort();
    socket.once('close', onGone);
    try {
      const approval = await d.siteApprovals?.obtain({
        nodeId: node.id, groupId: node.groupId, kind: 'shell', service: SHELL_SERVICE, subject: newId('trm'), userId: principal.userId, sourceIp: grant.clientIp,
        what: shellApprovalWhat(command), validForMs: SHELL_GRANT_MS, signal: gone.signal,
      });
      shell = await openNodeShell(approval ? (d.registry.get(node.id) ?? conn) : conn, {
        hostKey: this.deps.hostKey,
        nodePublicKey: node.publicKey,
        origin: { ip: grant.clientIp, port: clientAddress(req.socket).port, ...(approval ? { approval } : {}) },
        request: { command, pty },
      });
    } catch (err) {
      socket.off('close', onGone);
      // The caller may use this terminal: tell it what went wrong on the node's side over
      // the WebSocket, since a browser never sees the body of a refused upgrade.
      const e = toBurrowError(err);
      await recordAudit(d.db, { ...audit, action: 'shell.open', result: 'failed', detail: { error: e.code, command: command ?? null, via: principal.via } }, d.clock.now());
      this.failOpen(req, socket, head, e);
      return;
    }
    socket.off('close', onGone);
    this.live.add(shell);
    // Shut down while the node's shell was opening: close() has already ended the others.
    if (this.closed) {
      shell.close();
      this.live.delete(shell);
      throw new BurrowError('SERVER_UNREACHABLE', 'The server is shutting down.');
    }
    const startedAt = d.clock.now();
    let recordingId: string | null = null;
    let recorder: CastRecorder | undefined;
    try {
      if (await groupRecordsShell(d.db, node.groupId)) {
        recordingId = newId('rec');
        recorder = await CastRecorder.open(this.deps.recordingsDir, recordingId, { cols: pty?.cols ?? 80, rows: pty?.rows ?? 24, title: `${node.name}${command ? `: ${command}` : ''}`, clock: d.clock });
      }
      const rec = recordingId;
      await d.db.transaction(async (tx) => {
        if (rec) await insertRecording(tx, { id: rec, nodeId: node.id, groupId: node.groupId, userId: principal.userId, startedAt });
        await appendAudit(tx, { ...audit, action: 'shell.open', result: 'ok', detail: { recording: rec, command: command ?? null, pty: Boolean(pty), via: principal.via } }, startedAt);
      });
    } catch (err) {
      shell.close();
      this.live.delete(shell);
      await recorder?.close();
      throw err;
    }
    let endedBy: AuthorityEndReason | undefined;
    let release: () => void = () => undefined;
    const finish = async (end: TerminalEnd) => {
      release();
      this.live.delete(shell);
      const endedAt = d.clock.now();
      const bytes = (await recorder?.close()) ?? 0;
      await d.db
        .transaction(async (tx) => {
          if (recordingId) await finishRecording(tx, recordingId, endedAt, bytes);
          const by = endedBy ? { endedBy: 'authority', reason: endedBy } : { endedBy: end.by };
          await appendAudit(tx, { ...audit, action: 'shell.close', result: 'ok', detail: { recording: recordingId, durationMs: endedAt - startedAt, exitCode: end.code, signal: end.signal, ...by } }, endedAt);
        })
        .catch((err: Error) => d.log.warn({ err: err.message }, 'could not record the end of a terminal session'));
    };
    // The caller may have hung up while the node's shell was opening.
    if (!socket.writable) {
      shell.close();
      await finish({ code: null, signal: null, by: 'client' });
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      // Held only as long as the caller may still operate the node with this credential.
      release = holdWhileOperator(d, principal, node.groupId, {
        end: (reason) => {
          endedBy = reason;
          if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'error', ...authorityEndNotice(reason) }));
          ws.close(1008, reason);
          shell.close();
        },
        nodeId: node.id,
      });
      this.track(bridgeTerminal(ws, shell, { nodeId: node.id, recording: recordingId, recorder, pty: pty !== undefined }).then(finish));
    });
  }

  /** Accepts the upgrade only to say why the node's shell could not open, then closes. */
  private failOpen(req: IncomingMessage, socket: Duplex, head: Buffer, err: BurrowError): void {
    if (err.code === 'INTERNAL') this.deps.api.log.error({ err: err.message }, 'terminal could not open');
    if (!socket.writable) return;
    const message = err.expose ? err.message : 'Internal error.';
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(JSON.stringify({ type: 'error', code: err.code, message } satisfies TerminalEvent));
      ws.close(1011, err.code);
    });
  }

  /** Ends every terminal session; resolves once each has recorded its end. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.live) s.close();
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  private track(work: Promise<unknown>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }
}

/** Answers a refused upgrade with the API's error shape, then hangs up. */
function refuse(socket: Duplex, err: BurrowError, d: ApiDeps): void {
  if (err.code === 'INTERNAL') d.log.error({ err: err.message }, 'terminal upgrade failed');
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code: err.code, message: err.expose ? err.message : 'Internal error.' } });
  socket.end(
    `HTTP/1.1 ${err.status} ${STATUS_CODES[err.status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}
