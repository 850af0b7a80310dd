// The Table contract's option type (table/table.ts exports the same union): kept here so the
// query parser does not depend on how tables are drawn.
export type IncludeObject = 'None' | 'Metadata' | 'Object';
