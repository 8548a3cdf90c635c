import type { ComponentChildren, VNode } from 'preact';

/** A header cell with more than a label: a sort button and the column's `aria-sort`. */
export interface HeaderCell {
  key: string;
  content: ComponentChildren;
  sort?: 'ascending' | 'descending' | 'none';
}

/**
 * The console's list table (`table.grid`): a header row, one row per item, an optional
 * last column for row actions (its header is for screen readers only), and an optional
 * sentence shown instead of the table when there is nothing to list.
 */
export function DataTable<T>(p: {
  label: string;
  columns: (string | HeaderCell)[];
  rows: readonly T[];
  /** Renders one item's `<tr>` (the page sets its key and data- attributes). */
  row: (item: T) => VNode;
  actions?: boolean;
  empty?: string;
}) {
  if (p.empty !== undefined && p.rows.length === 0) return <p class="muted">{p.empty}</p>;
  return (
    <table class="grid" aria-label={p.label}>
      <thead>
        <tr>
          {p.columns.map((c) =>
            typeof c === 'string' ? (
              <th key={c} scope="col">
                {c}
              </th>
            ) : (
              <th key={c.key} scope="col" aria-sort={c.sort}>
                {c.content}
              </th>
            ),
          )}
          {p.actions && (
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          )}
        </tr>
      </thead>
      <tbody>{p.rows.map(p.row)}</tbody>
    </table>
  );
}
