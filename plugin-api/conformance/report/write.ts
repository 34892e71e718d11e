import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CertificationReport } from '../types.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';

export interface ReportFiles {
  readonly json: string;
  readonly junit: string;
  readonly html: string;
}

/** Writes report.json, junit.xml and report.html into `dir` (created when missing). */
export async function writeReports(dir: string, report: CertificationReport): Promise<ReportFiles> {
  await mkdir(dir, { recursive: true });
  const files = { json: join(dir, 'report.json'), junit: join(dir, 'junit.xml'), html: join(dir, 'report.html') };
  await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(files.junit, renderJunit(report));
  await writeFile(files.html, renderHtml(report));
  return files;
}
