import { watch } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock, TimerHandle } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';
import { loadCertificate, type LoadedCertificate } from './certificateFiles.js';

/** What set a reload off. */
export type ReloadTrigger = 'sighup' | 'file-change';

/** Watches a directory; returns the function that stops watching. */
export type DirectoryWatch = (dir: string, onChange: () => void) => () => void;

/** Dependencies of the reloader. */
export interface CertificateReloaderDeps {
  certPath: string;
  keyPath: string;
  /** The certificate the server started with. */
  initial: LoadedCertificate;
  clock: Clock;
  log: Logger;
  /** Puts a new certificate in service for new TLS connections. */
  apply: (c: LoadedCertificate) => void;
  /** Records a reload (or a refused one) in the audit log. */
  audit: (result: 'ok' | 'failed', detail: Record<string, unknown>) => Promise<void>;
  /** Quiet time after the last file event before the files are read: a renewal writes two files. */
  debounceMs?: number;
  /** How the directory is watched; fs.watch unless a test says otherwise. */
  watch?: DirectoryWatch;
}

const fsWatch: DirectoryWatch = (dir, onChange) => {
  const w = watch(dir, { persistent: false }, onChange);
  w.on('error', () => undefined);
  return () => w.close();
};

/**
 * Keeps the server's certificate current without a restart: on SIGHUP (`reload()`), or when
 * a file in the certificate's directory changes, it reads the chain and key, checks them,
 * and hands a new, valid pair to `apply`. Connections already open keep the certificate
 * they were made with, so tunnels and sessions are not dropped. A bad pair is refused and
 * the certificate in service stays.
 */
export class CertificateReloader {
  private cert: LoadedCertificate;
  private timer?: TimerHandle;
  private unwatch?: () => void;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly deps: CertificateReloaderDeps) {
    this.cert = deps.initial;
  }

  /** The certificate in service. */
  get current(): LoadedCertificate {
    return this.cert;
  }

  /** Starts watching the certificate's directory. */
  start(): void {
    const dirs = new Set([dirname(this.deps.certPath), dirname(this.deps.keyPath)]);
    const stops = [...dirs].map((d) => (this.deps.watch ?? fsWatch)(d, () => this.fileChanged()));
    this.unwatch = () => stops.forEach((stop) => stop());
  }

  private fileChanged(): void {
    if (this.closed) return;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      void this.reload('file-change');
    }, this.deps.debounceMs ?? 500);
  }

  /** Reads the files now; true when a new certificate went into service. Reloads run one at a time. */
  reload(trigger: ReloadTrigger): Promise<boolean> {
    const run = this.queue.then(() => this.load(trigger));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async load(trigger: ReloadTrigger): Promise<boolean> {
    if (this.closed) return false;
    const { log } = this.deps;
    let next: LoadedCertificate;
    try {
      next = await loadCertificate(this.deps.certPath, this.deps.keyPath, this.deps.clock.now());
    } catch (err) {
      const reason = (err as Error).message;
      log.warn({ trigger, reason, fingerprint: this.cert.pin }, 'certificate not reloaded; the current one stays in service');
      await this.deps.audit('failed', { trigger, reason }).catch(() => undefined);
      return false;
    }
    if (next.cert === this.cert.cert && next.key === this.cert.key) {
      log.debug({ trigger }, 'certificate files unchanged');
      return false;
    }
    this.deps.apply(next);
    this.cert = next;
    const detail = { trigger, fingerprint: next.pin, notAfter: new Date(next.notAfter).toISOString() };
    log.info(detail, 'certificate reloaded');
    await this.deps.audit('ok', detail).catch(() => undefined);
    return true;
  }

  /** Stops watching; a reload under way finishes. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.unwatch?.();
    this.unwatch = undefined;
    await this.queue;
  }
}
