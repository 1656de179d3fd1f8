// Server-side Table output for custom resources (upstream's
// customresource/tableconvertor): a Name column, then the version's
// additionalPrinterColumns, or a single `Age` column (type date, from
// .metadata.creationTimestamp) when the version declares none. Cells of
// `date` columns hold the human-readable age, as upstream computes it.

import { humanDuration } from '../printers/duration.js';
import type { Printer, TableColumnDefinition } from '../printers/types.js';
import { goJSON, goSprint, isObj } from './go.js';
import { findResults, parseJSONPath, type JSONPath } from './jsonpath.js';

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';

const CREATION_TIMESTAMP_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export interface CustomResourceColumn {
  name: string;
  type: string;
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

/** The columns a version is printed with: its additionalPrinterColumns, or the default Age column. */
export function printerColumnsForVersion(crd: any, version: string): CustomResourceColumn[] {
  const vs = Array.isArray(crd?.spec?.versions) ? crd.spec.versions : [];
  const v = vs.find((x: unknown) => isObj(x) && x.name === version);
  const cols = Array.isArray(v?.additionalPrinterColumns) ? v.additionalPrinterColumns.filter(isObj) : [];
  if (cols.length > 0) return cols as CustomResourceColumn[];
  return [{ name: 'Age', type: 'date', description: CREATION_TIMESTAMP_DESCRIPTION, jsonPath: '.metadata.creationTimestamp' }];
}

const RFC3339_RE = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function dateCell(value: string, now: Date): string {
  if (value === '' || value === 'null') return '<unknown>';
  if (!RFC3339_RE.test(value)) return '<invalid>';
  const t = Date.parse(value);
  if (Number.isNaN(t)) return '<invalid>';
  if (t === Date.parse('0001-01-01T00:00:00Z')) return '<unknown>';
  return humanDuration(now.getTime() - t);
}

/** client-go's JSONPath PrintResults of one value: maps and slices as JSON, scalars as fmt.Fprint. */
function printValue(v: unknown): string {
  if (v === null || v === undefined) return '<no value>';
  if (typeof v === 'object') return goJSON(v);
  return goSprint(v);
}

function cellFor(type: string, value: unknown, now: Date): unknown {
  if (type === 'string') return printValue(value);
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date':
      return typeof value === 'string' ? dateCell(value, now) : null;
    default:
      return null;
  }
}

/**
 * The Table printer of a CRD version: `columns` (Name first) and `cells(obj,
 * now)`. A column whose JSONPath cannot be parsed ends the column list
 * there, as upstream falls back to the columns built so far.
 */
export function crdTable(crd: any, version: string): Printer {
  const columns: TableColumnDefinition[] = [{ name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 0 }];
  const paths: Array<{ path: JSONPath; type: string }> = [];
  for (const c of printerColumnsForVersion(crd, version)) {
    const jp = typeof c.jsonPath === 'string' ? c.jsonPath : '';
    let path: JSONPath;
    try {
      path = parseJSONPath(`{${jp}}`);
    } catch {
      break;
    }
    paths.push({ path, type: String(c.type ?? '') });
    columns.push({
      name: String(c.name ?? ''),
      type: String(c.type ?? ''),
      format: typeof c.format === 'string' ? c.format : '',
      description: typeof c.description === 'string' && c.description !== '' ? c.description : `Custom resource definition column (in JSONPath format): ${jp}`,
      priority: typeof c.priority === 'number' ? c.priority : 0,
    });
  }
  return {
    columns,
    cells(obj: any, now: Date = new Date()): unknown[] {
      const cells: unknown[] = [typeof obj?.metadata?.name === 'string' ? obj.metadata.name : ''];
      for (const { path, type } of paths) {
        let results: unknown[];
        try {
          results = findResults(path, obj);
        } catch {
          cells.push(null);
          continue;
        }
        cells.push(results.length === 0 ? null : cellFor(type, results[0], now));
      }
      return cells;
    },
  };
}
