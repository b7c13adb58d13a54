// Public face of the report writer.
export { writeReport } from './write.ts';
export type { ReportInput, ReportCase, ReportImage, ReportOptions, ReportFiles, RocPoint, ProPoint } from './types.ts';
