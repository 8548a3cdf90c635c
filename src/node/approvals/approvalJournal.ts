import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../shared/log.js';

/** One line of the node's local approval log. */
export interface ApprovalJournalEntry {
  at: string;
  event: 'requested' | 'approved' | 'denied' | 'timed-out' | 'withdrawn' | 'ended';
  id: string;
  kind?: string;
  service?: string;
  subject?: string;
  user?: string;
  from?: string;
  what?: string;
  by?: string;
  reason?: string;
}

/** Where the node keeps its approval log. */
export function approvalLogPath(home: string): string {
  return join(home, 'approvals.log');
}

/**
 * The node's own record of every approval request and decision: JSON lines, only ever
 * appended (mode 0600), so the site keeps its account whatever the server's log says.
 * Appends are serialized so lines never interleave.
 */
export class ApprovalJournal {
  private queue = Promise.resolve();

  constructor(private readonly home: string, private readonly log: Logger) {}

  /** Appends one entry. */
  append(entry: ApprovalJournalEntry): void {
    this.queue = this.queue
      .then(() => appendFile(approvalLogPath(this.home), `${JSON.stringify(entry)}\n`, { mode: 0o600, flag: 'a' }))
      .catch((err: Error) => this.log.warn({ err: err.message }, 'could not write approvals.log'));
  }

  /** Waits for the appends so far. */
  flush(): Promise<void> {
    return this.queue;
  }
}

/** Reads the log; empty when nothing was ever asked. */
export async function readApprovalLog(home: string): Promise<ApprovalJournalEntry[]> {
  let text: string;
  try {
    text = await readFile(approvalLogPath(home), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as ApprovalJournalEntry);
}
