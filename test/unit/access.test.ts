import { describe, expect, it } from 'vitest';
import type { Viewer } from '../../src/api/auth/apiKeys.ts';
import { ownerOf, targetProjectId, tenantFilter } from '../../src/api/auth/access.ts';
import { visibleOrNotFound, visibleProjectDataOrNotFound } from '../../src/api/services/access.ts';

// What another domain's fields inherit from the access helpers: a tenant token reads project-level
// data (rows without a tenantId column, e.g. event types) and is FORBIDDEN to change it in a mutation.
const tenant: Viewer = { scope: 'TENANT', keyId: 'key_1', projectId: 'prj_a', tenantId: 't1', expiresAt: new Date(Date.now() + 60_000) };
const mutating: Viewer = { ...tenant, mutating: true };
const code = (f: () => unknown) => {
  try {
    f();
    return 'ok';
  } catch (err) {
    return (err as { extensions?: { code?: string } }).extensions?.code;
  }
};

describe('access helpers with a tenant token', () => {
  it('read project-level data of its project, and refuse changing it', () => {
    const eventType = { projectId: 'prj_a', name: 'order.shipped' };
    expect(code(() => visibleProjectDataOrNotFound(tenant, 'event type', 'x', eventType))).toBe('ok');
    expect(code(() => visibleProjectDataOrNotFound(mutating, 'event type', 'x', eventType))).toBe('FORBIDDEN');
    expect(code(() => visibleProjectDataOrNotFound(tenant, 'event type', 'x', { ...eventType, projectId: 'prj_b' }))).toBe('NOT_FOUND');
    // A tenant-owned row read without its tenant is missing to a tenant token: it fails closed.
    expect(code(() => visibleOrNotFound(tenant, 'webhook', 'x', { projectId: 'prj_a' }))).toBe('NOT_FOUND');
    expect(code(() => visibleOrNotFound({ scope: 'PROJECT', keyId: 'key_2', projectId: 'prj_a' }, 'webhook', 'x', { projectId: 'prj_a' }))).toBe('ok');
    expect(code(() => targetProjectId(tenant, undefined))).toBe('ok');
    expect(targetProjectId(tenant, 'prj_a')).toBe('prj_a');
    expect(code(() => targetProjectId(mutating, undefined))).toBe('FORBIDDEN');
    expect(code(() => targetProjectId(tenant, 'prj_b'))).toBe('FORBIDDEN');
  });

  it('see their own tenant’s objects only, in queries and mutations alike', () => {
    for (const v of [tenant, mutating]) {
      expect(code(() => visibleOrNotFound(v, 'webhook', 'x', { projectId: 'prj_a', tenantId: 't1' }))).toBe('ok');
      expect(code(() => visibleOrNotFound(v, 'webhook', 'x', { projectId: 'prj_a', tenantId: 't2' }))).toBe('NOT_FOUND');
      expect(code(() => visibleOrNotFound(v, 'webhook', 'x', { projectId: 'prj_a', tenantId: null }))).toBe('NOT_FOUND');
      expect(code(() => visibleOrNotFound(v, 'webhook', 'x', { projectId: 'prj_b', tenantId: 't1' }))).toBe('NOT_FOUND');
    }
    expect(ownerOf(mutating, {})).toEqual({ projectId: 'prj_a', tenantId: 't1' });
    expect(code(() => ownerOf(mutating, { tenantId: 't2' }))).toBe('FORBIDDEN');
    expect(tenantFilter(tenant, undefined)).toBe('t1');
    expect(code(() => tenantFilter(tenant, 't2'))).toBe('FORBIDDEN');
    expect(tenantFilter({ scope: 'PROJECT', keyId: 'key_2', projectId: 'prj_a' }, 't2')).toBe('t2');
  });
});
