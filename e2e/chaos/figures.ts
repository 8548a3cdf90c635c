/** One target's figures in the chaos table. */
export interface ChaosRow {
  target: string;
  /** Inputs or attacks tried. */
  cases: number;
  /** Times the server process died (it never should). */
  crashes: number;
  /** 5xx answers to bad input. */
  fiveXx: number;
  /** Records a client saw succeed that were missing, or half-written ones, after the fault. */
  lost: number;
  /** Times a limit (cap, timeout, rate limit, channel bound) turned the attacker away. */
  limitsHit: number;
  /** Milliseconds from the end of the load to the first good answer; null when not measured. */
  recoveryMs: number | null;
}

/**
 * Collects what each scenario tried and saw, plus every broken promise (`fail`), and prints
 * them as the table `make chaos` ends with.
 */
export class Figures {
  private readonly rows = new Map<string, ChaosRow>();
  /** What went wrong, one sentence each; empty when every promise held. */
  readonly failures: string[] = [];

  /** The row of `target`, created empty on first use. */
  row(target: string): ChaosRow {
    let r = this.rows.get(target);
    if (!r) {
      r = { target, cases: 0, crashes: 0, fiveXx: 0, lost: 0, limitsHit: 0, recoveryMs: null };
      this.rows.set(target, r);
    }
    return r;
  }

  /** Records a broken promise (the run fails at the end, after every scenario ran). */
  fail(target: string, message: string): void {
    this.failures.push(`${target}: ${message}`);
  }

  /** Records a failure unless `ok`. */
  check(target: string, ok: boolean, message: string): void {
    if (!ok) this.fail(target, message);
  }

  /** All rows, in the order they were first touched. */
  all(): ChaosRow[] {
    return [...this.rows.values()];
  }

  /** The table as fixed-width text. */
  table(): string {
    const head = ['target', 'cases', 'crashes', '5xx', 'lost/corrupt', 'limits hit', 'recovery ms'];
    const body = this.all().map((r) => [r.target, String(r.cases), String(r.crashes), String(r.fiveXx), String(r.lost), String(r.limitsHit), r.recoveryMs === null ? '-' : String(Math.round(r.recoveryMs))]);
    const total = ['TOTAL', ...[1, 2, 3, 4, 5].map((i) => String(body.reduce((n, row) => n + Number(row[i]), 0))), '-'];
    const lines = [head, ...body, total];
    const widths = head.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
    const fmt = (l: string[]) => l.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ');
    const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
    return [fmt(head), rule, ...body.map(fmt), rule, fmt(total)].join('\n');
  }
}
