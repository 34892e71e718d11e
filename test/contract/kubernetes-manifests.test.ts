/**
 * deploy/kubernetes/: each manifest validated against the Kubernetes API schemas (the
 * kubernetes-models package; the Prometheus operator's models for the ServiceMonitor), and
 * checked against the application it runs: the probes' paths answer as documented on a real
 * server, their ports are the port the container listens on, every M365FC_* variable is a real
 * option with a valid value, and the grace period outlasts the drain.
 *
 * kubernetes-models checks types, required fields, enums and patterns, not unknown field names
 * (the API server's strict field validation does that); the fields that matter are read here by
 * name, so a misspelt probe or security setting fails these tests.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Service } from 'kubernetes-models/v1';
import { resolveServeConfig, SERVE_OPTIONS } from '../../src/serve/config.js';
import { FOLLOW_OPTIONS } from '../../src/follow/options.js';
import type { RunningServer } from '../../src/serve/server.js';
import { call, startTestServer } from '../integration/helpers.js';
import { REPO_ROOT } from '../support/data.js';

const DIR = join(REPO_ROOT, 'deploy/kubernetes');
type DeploymentInput = ConstructorParameters<typeof Deployment>[0];
const load = (file: string): Record<string, unknown> => parse(readFileSync(join(DIR, file), 'utf8')) as Record<string, unknown>;

const deployment = new Deployment(load('deployment.yaml') as ConstructorParameters<typeof Deployment>[0]);
const service = new Service(load('service.yaml') as ConstructorParameters<typeof Service>[0]);
const pdb = new PodDisruptionBudget(load('poddisruptionbudget.yaml') as ConstructorParameters<typeof PodDisruptionBudget>[0]);
const hpa = new HorizontalPodAutoscaler(load('horizontalpodautoscaler.yaml') as ConstructorParameters<typeof HorizontalPodAutoscaler>[0]);
const monitor = new ServiceMonitor(load('servicemonitor.yaml') as ConstructorParameters<typeof ServiceMonitor>[0]);

const pod = deployment.spec!.template.spec!;
const container = pod.containers[0]!;
const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? '']));
const httpPort = container.ports!.find((p) => p.name === 'http')!;
const labels = deployment.spec!.selector.matchLabels!;

describe('Kubernetes manifests: the schemas', () => {
  it('every manifest validates against its API schema', () => {
    for (const m of [deployment, service, pdb, hpa, monitor]) expect(() => m.validate(), m.kind).not.toThrow();
  });

  it('the validation is real: a wrong type or a missing field is refused', () => {
    const broken = structuredClone(load('deployment.yaml')) as { spec: { replicas: unknown; template: { spec: { containers: Array<Record<string, unknown>> } } } };
    broken.spec.replicas = 'three';
    expect(() => new Deployment(broken as unknown as DeploymentInput).validate()).toThrow(/replicas/);
    const noName = structuredClone(load('deployment.yaml')) as typeof broken;
    delete noName.spec.template.spec.containers[0]!['name'];
    expect(() => new Deployment(noName as unknown as DeploymentInput).validate()).toThrow(/name/);
    const badInterval = structuredClone(load('servicemonitor.yaml')) as { spec: { endpoints: Array<{ interval: string }> } };
    badInterval.spec.endpoints[0]!.interval = 'thirty seconds';
    expect(() => new ServiceMonitor(badInterval as ConstructorParameters<typeof ServiceMonitor>[0]).validate()).toThrow(/interval/);
  });

  it('kustomization.yaml lists every manifest', () => {
    const listed = (load('kustomization.yaml')['resources'] as string[]).sort();
    const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
    expect(listed).toEqual(files);
  });
});

describe('Kubernetes manifests: what the issue asks of them', () => {
  it('three replicas, non-root, read-only root file system, no privileges, resources', () => {
    expect(deployment.spec!.replicas).toBe(3);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(pod.securityContext!.runAsUser).toBeGreaterThan(0);
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(container.resources?.requests).toHaveProperty('cpu');
    expect(container.resources?.requests).toHaveProperty('memory');
    expect(container.resources?.limits).toHaveProperty('memory');
  });

  it('each replica has its own state: an emptyDir at the state dir', () => {
    const mount = container.volumeMounts!.find((m) => m.mountPath === env['M365FC_STATE_DIR']);
    expect(mount).toBeDefined();
    const volume = pod.volumes!.find((v) => v.name === mount!.name)!;
    expect(volume.emptyDir).toBeDefined();
    expect(volume.persistentVolumeClaim).toBeUndefined();
  });

  it('every M365FC_ variable is a real option and the values are valid', () => {
    const known = new Set([...SERVE_OPTIONS, ...FOLLOW_OPTIONS].map((s) => s.env));
    for (const name of Object.keys(env).filter((n) => n.startsWith('M365FC_'))) expect(known, name).toContain(name);
    const config = resolveServeConfig([], env, FOLLOW_OPTIONS);
    expect(config.port).toBe(httpPort.containerPort);
    expect(config.host).toBe('0.0.0.0');
    expect(config.extra['stateDir']).toBe('/var/lib/m365fc');
    expect(config.extra['offline']).toBe(false);
  });

  it('the grace period outlasts the preStop pause plus the drain', () => {
    const pause = Number(container.lifecycle!.preStop!.exec!.command!.at(-1));
    const drain = Number(env['M365FC_SHUTDOWN_TIMEOUT_MS']) / 1000;
    expect(pause).toBeGreaterThan(0);
    expect(pod.terminationGracePeriodSeconds!).toBeGreaterThan(pause + drain);
  });

  it('the Service, PDB, HPA and ServiceMonitor select the Deployment and use its port', () => {
    expect(service.spec!.selector).toEqual(labels);
    expect(service.spec!.ports![0]).toMatchObject({ targetPort: 'http', port: httpPort.containerPort });
    expect(pdb.spec!.selector!.matchLabels).toEqual(labels);
    expect(pdb.spec!.minAvailable).toBeLessThan(deployment.spec!.replicas!);
    expect(hpa.spec!.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata!.name });
    expect(hpa.spec!.minReplicas).toBe(deployment.spec!.replicas);
    expect(hpa.spec!.metrics![0]).toMatchObject({ type: 'Resource', resource: { name: 'cpu' } });
    expect(monitor.spec.selector.matchLabels).toEqual(service.metadata!.labels);
    expect(monitor.spec.endpoints![0]).toMatchObject({ port: service.spec!.ports![0]!.name, path: '/metrics' });
  });
});

describe('Kubernetes manifests: the probes against the real server', () => {
  let server: RunningServer;
  let pool: Pool;
  beforeAll(async () => {
    server = await startTestServer();
    pool = new Pool(server.url);
  });
  afterAll(async () => {
    await pool.close();
    await server.close();
  });

  it('readiness is /readyz, liveness and start-up /healthz, on the named http port, and answer 200', async () => {
    expect(container.readinessProbe!.httpGet).toMatchObject({ path: '/readyz', port: 'http' });
    expect(container.livenessProbe!.httpGet).toMatchObject({ path: '/healthz', port: 'http' });
    expect(container.startupProbe!.httpGet).toMatchObject({ path: '/healthz', port: 'http' });
    for (const probe of [container.readinessProbe!, container.livenessProbe!, container.startupProbe!]) {
      const r = await call(pool, 'GET', probe.httpGet!.path!);
      expect(r.status, probe.httpGet!.path).toBe(200);
    }
    const scrape = await call(pool, 'GET', monitor.spec.endpoints![0]!.path!);
    expect(scrape.status).toBe(200);
    expect(scrape.text).toContain('m365fc_data_info');
  });
});
