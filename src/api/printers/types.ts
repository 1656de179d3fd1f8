// Shapes shared by the server-side table printers.

/** One column of a meta.k8s.io/v1 Table. */
export interface TableColumnDefinition {
  name: string;
  /** OpenAPI type of the cells: string, integer, number, boolean, date. */
  type: string;
  /** OpenAPI format hint; `name` marks the column holding the object name. */
  format: string;
  description: string;
  /** 0 for the default view, 1 (or more) for columns shown only with `-o wide`. */
  priority: number;
}

/** A condition attached to a table row (upstream marks finished pods `Completed`). */
export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** How one resource is printed: its columns and how to fill a row. */
export interface Printer {
  columns: TableColumnDefinition[];
  cells(obj: any, now: Date): unknown[];
  conditions?(obj: any): TableRowCondition[] | undefined;
}

/** Builds a column definition. */
export function col(name: string, type: string, description: string, priority = 0, format = ''): TableColumnDefinition {
  return { name, type, format, description, priority };
}

/** The leading Name column every printer except events' starts with. */
export const NAME_COLUMN: TableColumnDefinition = col(
  'Name',
  'string',
  'Unique name of the object within its namespace (or the cluster for cluster-scoped kinds).',
  0,
  'name',
);

/** The Age column (creation time as a relative duration). */
export const AGE_COLUMN: TableColumnDefinition = col('Age', 'string', 'Time elapsed since the object was created.');

/** Wide-only Containers / Images columns of workload controllers. */
export const CONTAINERS_COLUMN: TableColumnDefinition = col('Containers', 'string', 'Container names in the pod template.', 1);
export const IMAGES_COLUMN: TableColumnDefinition = col('Images', 'string', 'Container images in the pod template.', 1);
