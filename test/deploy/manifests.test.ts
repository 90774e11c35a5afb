import { copyFileSync, cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { outcome, removeTempDirs, tempDir } from './support.js';

const K8S = 'deploy/kubernetes';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: Record<string, any>;
}

const manifests = readdirSync(K8S)
  .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
  .flatMap((file) => parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((doc) => ({ file, manifest: doc.toJS() as Manifest })));
const find = (kind: string, name = 'realname') => manifests.find((m) => m.manifest.kind === kind && m.manifest.metadata.name === name)!.manifest;

/** kubernetes-models' JSON schemas (the API's own OpenAPI), one class per apiVersion and kind. */
async function validate(manifest: Manifest) {
  const group = manifest.apiVersion.includes('/') ? manifest.apiVersion : `v1`;
  const module = (await import(`kubernetes-models/${group}/${manifest.kind}`)) as Record<string, new (data: unknown) => { validate(): void }>;
  new module[manifest.kind]!(manifest).validate();
}

describe('deploy/kubernetes', () => {
  it.each(manifests.map((m) => [`${m.file}: ${m.manifest.kind} ${m.manifest.metadata.name}`, m.manifest] as const))('%s matches the Kubernetes schema', async (_name, manifest) => {
    await validate(manifest);
  });

  it('has the schema check catch a broken manifest', async () => {
    const broken = structuredClone(find('Deployment'));
    broken.spec!.template.spec.containers[0].ports[0].containerPort = 'http';
    await expect(validate(broken)).rejects.toThrow(/containerPort/);
  });

  it('has every kind the issue asks for, all listed in kustomization.yaml', () => {
    const kinds = new Set(manifests.map((m) => m.manifest.kind));
    for (const kind of ['Deployment', 'Service', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Job', 'NetworkPolicy', 'ConfigMap']) expect(kinds).toContain(kind);
    const listed = (parseAllDocuments(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as { resources: string[] }).resources;
    expect(listed.sort()).toEqual([...new Set(manifests.map((m) => m.file))].sort());
  });

  it('probes liveness on /healthz and readiness on /readyz, limits resources, and takes secrets from a Secret', () => {
    const container = find('Deployment').spec!.template.spec.containers[0];
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.resources.limits).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.envFrom).toContainEqual({ secretRef: { name: 'realname-secrets' } });
    expect(JSON.stringify(manifests)).not.toMatch(/AUTH_JWT_SECRET|REALNAME_MASTER_KEY"?:/);
  });

  it('points the Service, PDB, HPA and NetworkPolicy at the Deployment\'s pods', () => {
    const labels = find('Deployment').spec!.template.metadata.labels;
    expect(find('Deployment').spec!.selector.matchLabels).toEqual(labels);
    expect(labels).toMatchObject(find('Service').spec!.selector);
    expect(labels).toMatchObject(find('PodDisruptionBudget').spec!.selector.matchLabels);
    expect(labels).toMatchObject(find('NetworkPolicy').spec!.podSelector.matchLabels);
    expect(find('HorizontalPodAutoscaler').spec!.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'realname' });
  });
});

describe('deploy/compose.yaml', () => {
  afterAll(removeTempDirs);

  it('passes docker-compose config, with the example settings filled in', async () => {
    const dir = tempDir('compose');
    cpSync('deploy', join(dir, 'deploy'), { recursive: true });
    copyFileSync('deploy/realname.env.example', join(dir, 'deploy', 'realname.env'));
    writeFileSync(join(dir, 'deploy', 'postgres_password'), 'only-for-this-check\n');
    const result = await outcome('docker-compose', ['-f', join(dir, 'deploy', 'compose.yaml'), 'config'], { cwd: dir });
    expect(result.code, result.output).toBe(0);
    const services = parseAllDocuments(result.output)[0]!.toJS() as { services: Record<string, any> };
    expect(Object.keys(services.services).sort()).toEqual(['migrate', 'nginx', 'postgres', 'realname', 'redis']);
    expect(services.services.realname.deploy.replicas).toBe(2);
    expect(services.services.realname.depends_on.migrate.condition).toBe('service_completed_successfully');
  });
});
