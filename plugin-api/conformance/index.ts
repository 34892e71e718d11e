/**
 * The conformance kit: runs the certification checks against any service that implements
 * openapi.yaml and reports them. Self-assessment evidence, not Microsoft's certification.
 * Imports nothing from the engine: the reference engine is passed in.
 */
export { runCertification, CertificationOptionError, DEFAULT_SEED } from './run.js';
export { writeReports, type ReportFiles } from './report/write.js';
export { renderHtml } from './report/html.js';
export { renderJunit } from './report/junit.js';
export { evidenceLines } from './report/text.js';
export { FRAMING, PRINCIPLES, PRINCIPLES_URL, PRINCIPLE_SOURCES } from './principles.js';
export { sendLargeBody, type LargeBodyAnswer, type LargeBodyOptions } from './large-body.js';
export { CORRECTNESS_CHECKS } from './vectors.js';
export type * from './types.js';
