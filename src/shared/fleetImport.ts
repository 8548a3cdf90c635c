/*
 * What POST /v1/fleet/import answers, shared by the server, the CLI and the console.
 * Free of imports so the console can share it.
 */

/** One node of a file that can be (or was) imported. */
export interface ImportedNode {
  line: number;
  name: string;
  group: string;
  services: string[];
  mode: 'always-on' | 'on-demand';
  labels: Record<string, string>;
  /** Set once created: its id, its single-use token (shown once) and the command to enroll with it. */
  id?: string;
  token?: string;
  enrollCommand?: string;
  expiresAt?: string;
}

/** A line of the file that cannot be imported, and why. */
export interface ImportLineProblem {
  line: number;
  message: string;
}

/** The outcome of an import: what was (or would be) created, and every bad line. */
export interface NodeImportReport {
  dryRun: boolean;
  /** Whether nodes were written: false for a dry run and for a file refused because of bad lines. */
  imported: boolean;
  /** Node lines in the file. */
  total: number;
  nodes: ImportedNode[];
  errors: ImportLineProblem[];
}
