// Public face of the report writer.
export { writeReport } from './write.ts';
export type { ReportInput, ReportCase, RocPoint } from './types.ts';
