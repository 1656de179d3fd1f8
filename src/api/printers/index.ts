// Server-side printing: turns objects into the meta.k8s.io/v1 Table that
// kubectl asks for with `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`.
// Columns and cell formats follow kube-apiserver 1.32. The server always
// fills every column, including the `-o wide` ones (priority 1); kubectl
// hides those unless asked.

import { appsPrinters, autoscalingPrinters, batchPrinters } from './workloads.js';
import { clusterPrinters } from './cluster.js';
import { corePrinters, eventsV1Printer } from './core.js';
import { rfc3339 } from './format.js';
import { NAME_COLUMN, col, type Printer, type TableColumnDefinition, type TableRowCondition } from './types.js';

export type { TableColumnDefinition, TableRowCondition } from './types.js';
export { humanDuration } from './duration.js';
export { podSummary } from './core.js';

/** Columns of the table any resource without its own printer gets (CRDs, roles, limit ranges, custom resources). */
const DEFAULT_COLUMNS: TableColumnDefinition[] = [
  NAME_COLUMN,
  col('Created At', 'date', 'When the object was created, in RFC 3339 form.'),
];

const defaultPrinter: Printer = {
  columns: DEFAULT_COLUMNS,
  cells: (obj) => [obj?.metadata?.name ?? '', rfc3339(obj?.metadata?.creationTimestamp)],
};

function lookup(table: Record<string, Printer>, key: string): Printer | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

/** The resource's own printer, if upstream has one. */
function specificPrinter(group: string, resource: string): Printer | undefined {
  switch (group) {
    case '':
      return lookup(corePrinters, resource);
    case 'apps':
      return lookup(appsPrinters, resource);
    case 'batch':
      return lookup(batchPrinters, resource);
    case 'autoscaling':
      return lookup(autoscalingPrinters, resource);
    case 'events.k8s.io':
      return resource === 'events' ? eventsV1Printer : undefined;
    default:
      return lookup(clusterPrinters, `${group}/${resource}`);
  }
}

function printerFor(group: string, resource: string): Printer {
  return specificPrinter(group, resource) ?? defaultPrinter;
}

/** Whether the resource has a printer of its own rather than the Name / Created At default. */
export function hasSpecificPrinter(group: string, resource: string): boolean {
  return specificPrinter(group, resource) !== undefined;
}

/** The default table's columns (Name, Created At). */
export function defaultColumns(): TableColumnDefinition[] {
  return DEFAULT_COLUMNS.map((c) => ({ ...c }));
}

/** Column definitions for a resource, wide (priority 1) columns included. */
export function columnsFor(group: string, resource: string): TableColumnDefinition[] {
  return printerFor(group, resource).columns.map((c) => ({ ...c }));
}

/** The cells of one object's row, one per column of columnsFor(). */
export function rowCells(group: string, resource: string, obj: any, now: Date): unknown[] {
  return printerFor(group, resource).cells(obj, now);
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface BuildTableOptions {
  /** What each row carries besides its cells; upstream's default is Metadata. */
  includeObject?: IncludeObject;
  now?: Date;
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
  /** Column override (e.g. a CRD's additionalPrinterColumns); pair it with `cells`. */
  columns?: TableColumnDefinition[];
  /** Cell override, one value per column. */
  cells?: (obj: any) => unknown[];
  /** Leave out the column definitions (watch events after the first). */
  noHeaders?: boolean;
}

export interface TableRow {
  cells: unknown[];
  conditions?: TableRowCondition[];
  object?: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[];
}

function rowObject(obj: any, include: IncludeObject): unknown {
  switch (include) {
    case 'None':
      return undefined;
    case 'Object':
      return obj;
    default:
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj?.metadata ?? {} };
  }
}

/** A complete meta.k8s.io/v1 Table for a list (or a single object) of one resource. */
export function buildTable(group: string, resource: string, objects: any[], opts: BuildTableOptions = {}): Table {
  const printer = printerFor(group, resource);
  const now = opts.now ?? new Date();
  const include = opts.includeObject ?? 'Metadata';

  const metadata: Table['metadata'] = {};
  if (opts.resourceVersion) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continue) metadata.continue = opts.continue;
  if (typeof opts.remainingItemCount === 'number') metadata.remainingItemCount = opts.remainingItemCount;

  const rows = objects.map((obj): TableRow => {
    const row: TableRow = { cells: opts.cells ? opts.cells(obj) : printer.cells(obj, now) };
    if (!opts.cells) {
      const conditions = printer.conditions?.(obj);
      if (conditions && conditions.length > 0) row.conditions = conditions;
    }
    const object = rowObject(obj, include);
    if (object !== undefined) row.object = object;
    return row;
  });

  const columns = opts.columns ?? printer.columns;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: opts.noHeaders ? null : columns.map((c) => ({ ...c })),
    rows,
  };
}
