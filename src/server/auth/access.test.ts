import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BurrowError } from '../../shared/errors.js';
import type { GroupRecord } from '../store/groupStore.js';
import { groupsWith, hasRoleSomewhere, requireRole, roleAtLeast, roleOn, type Access, type Grant } from './access.js';
import { GroupTree } from './groupTree.js';

const g = (id: string, parentId: string | null): GroupRecord => ({ id, name: id.replace(/^.*-/, ''), parentId, rememberBrowserDays: 0 });

//        root
//       /    \
//    acme    globex
//    /  \        \
// berlin paris   labs
const tree = new GroupTree([g('root', null), g('acme', 'root'), g('acme-berlin', 'acme'), g('acme-paris', 'acme'), g('globex', 'root'), g('globex-labs', 'globex')]);
const ALL = ['root', 'acme', 'acme-berlin', 'acme-paris', 'globex', 'globex-labs'];

const access = (grants: Grant[], scope: Access['scope'] = 'admin', limitGroupId: string | null = null): Access => ({ grants, scope, limitGroupId });

function hasCode(code: string): (err: unknown) => boolean {
  return (err) => err instanceof BurrowError && err.code === code;
}

describe('GroupTree', () => {
  it('knows which groups lie within which', () => {
    assert.ok(tree.isWithin('acme-berlin', 'acme'));
    assert.ok(tree.isWithin('acme-berlin', 'root'));
    assert.ok(tree.isWithin('acme', 'acme'));
    assert.ok(!tree.isWithin('acme', 'acme-berlin'));
    assert.ok(!tree.isWithin('acme-berlin', 'acme-paris'));
    assert.ok(!tree.isWithin('globex-labs', 'acme'));
    assert.ok(!tree.isWithin('nope', 'root'));
  });

  it('lists a subtree', () => {
    assert.deepEqual(tree.subtree('acme').sort(), ['acme', 'acme-berlin', 'acme-paris']);
    assert.deepEqual(tree.subtree('globex-labs'), ['globex-labs']);
    assert.deepEqual(tree.subtree('root').sort(), [...ALL].sort());
  });

  it('renders paths from the root', () => {
    assert.equal(tree.path('acme-berlin'), 'root/acme/berlin');
    assert.equal(tree.path('root'), 'root');
    assert.equal(tree.path('missing'), '');
  });

  it('does not hang on a cycle', () => {
    const loop = new GroupTree([g('a', 'b'), g('b', 'a'), g('c', 'c')]);
    assert.ok(loop.isWithin('a', 'b'));
    assert.ok(!loop.isWithin('a', 'zzz'));
    assert.ok(!loop.isWithin('c', 'a'));
    assert.equal(loop.path('a').split('/').length, 64);
    assert.deepEqual(loop.subtree('zzz'), []);
  });
});

describe('roleOn', () => {
  it('a grant covers its group and subtree, and nowhere else', () => {
    const a = access([{ groupId: 'acme', role: 'operator' }]);
    assert.equal(roleOn(a, tree, 'acme'), 'operator');
    assert.equal(roleOn(a, tree, 'acme-berlin'), 'operator');
    assert.equal(roleOn(a, tree, 'acme-paris'), 'operator');
    for (const id of ['root', 'globex', 'globex-labs', 'unknown']) assert.equal(roleOn(a, tree, id), undefined, id);
  });

  it('the strongest of several grants wins, in any order', () => {
    const grants: Grant[] = [
      { groupId: 'root', role: 'viewer' },
      { groupId: 'acme', role: 'admin' },
      { groupId: 'acme-berlin', role: 'operator' },
    ];
    for (const order of [grants, [...grants].reverse()]) {
      const a = access(order);
      assert.equal(roleOn(a, tree, 'acme-berlin'), 'admin');
      assert.equal(roleOn(a, tree, 'acme-paris'), 'admin');
      assert.equal(roleOn(a, tree, 'globex-labs'), 'viewer');
      assert.equal(roleOn(a, tree, 'root'), 'viewer');
    }
  });

  it('a token scope caps the role', () => {
    const admin = [{ groupId: 'root', role: 'admin' as const }];
    assert.equal(roleOn(access(admin, 'read'), tree, 'acme'), 'viewer');
    assert.equal(roleOn(access(admin, 'operate'), tree, 'acme'), 'operator');
    assert.equal(roleOn(access(admin, 'admin'), tree, 'acme'), 'admin');
    // A scope never raises a role.
    assert.equal(roleOn(access([{ groupId: 'root', role: 'viewer' }], 'admin'), tree, 'acme'), 'viewer');
    assert.equal(roleOn(access([{ groupId: 'acme', role: 'operator' }], 'read'), tree, 'globex'), undefined);
  });

  it('limitGroupId hides groups outside it, even from a root admin', () => {
    const a = access([{ groupId: 'root', role: 'admin' }], 'admin', 'acme');
    assert.equal(roleOn(a, tree, 'acme'), 'admin');
    assert.equal(roleOn(a, tree, 'acme-paris'), 'admin');
    for (const id of ['root', 'globex', 'globex-labs']) assert.equal(roleOn(a, tree, id), undefined, id);
  });
});

describe('requireRole', () => {
  const a = access([
    { groupId: 'acme', role: 'viewer' },
    { groupId: 'acme-berlin', role: 'admin' },
  ]);

  it('passes with enough role', () => {
    requireRole(a, tree, 'acme-berlin', 'admin', 'node n1');
    requireRole(a, tree, 'acme-paris', 'viewer', 'node n1');
  });

  it('says NOT_FOUND where the caller has no role, so existence is not confirmed', () => {
    assert.throws(() => requireRole(a, tree, 'globex', 'viewer', 'node n1'), (err) => hasCode('NOT_FOUND')(err) && (err as Error).message === 'No node n1.');
    assert.throws(() => requireRole(access([{ groupId: 'root', role: 'admin' }], 'admin', 'acme'), tree, 'globex', 'viewer', 'node n1'), hasCode('NOT_FOUND'));
  });

  it('says FORBIDDEN where the role is too low', () => {
    assert.throws(() => requireRole(a, tree, 'acme-paris', 'operator', 'node n1'), (err) => hasCode('FORBIDDEN')(err) && /needs the operator role.*you have viewer/.test((err as Error).message));
    assert.throws(() => requireRole(access([{ groupId: 'root', role: 'admin' }], 'read'), tree, 'acme', 'operator', 'node n1'), hasCode('FORBIDDEN'));
  });
});

describe('groupsWith', () => {
  it('lists exactly the groups where the caller holds the role', () => {
    const a = access([
      { groupId: 'acme', role: 'viewer' },
      { groupId: 'acme-berlin', role: 'operator' },
      { groupId: 'globex-labs', role: 'admin' },
    ]);
    assert.deepEqual(groupsWith(a, tree, 'viewer').sort(), ['acme', 'acme-berlin', 'acme-paris', 'globex-labs']);
    assert.deepEqual(groupsWith(a, tree, 'operator').sort(), ['acme-berlin', 'globex-labs']);
    assert.deepEqual(groupsWith(a, tree, 'admin'), ['globex-labs']);
  });

  it('respects the scope cap and the group limit', () => {
    const rootAdmin = [{ groupId: 'root', role: 'admin' as const }];
    assert.deepEqual(groupsWith(access(rootAdmin, 'read'), tree, 'operator'), []);
    assert.deepEqual(groupsWith(access(rootAdmin, 'read'), tree, 'viewer').sort(), [...ALL].sort());
    assert.deepEqual(groupsWith(access(rootAdmin, 'admin', 'globex'), tree, 'admin').sort(), ['globex', 'globex-labs']);
  });
});

describe('hasRoleSomewhere', () => {
  it('looks at the best grant, capped by the scope', () => {
    const a = [{ groupId: 'acme-berlin', role: 'operator' as const }];
    assert.ok(hasRoleSomewhere(access(a), 'viewer'));
    assert.ok(hasRoleSomewhere(access(a), 'operator'));
    assert.ok(!hasRoleSomewhere(access(a), 'admin'));
    assert.ok(!hasRoleSomewhere(access(a, 'read'), 'operator'));
    assert.ok(hasRoleSomewhere(access([{ groupId: 'root', role: 'viewer' }, { groupId: 'acme', role: 'admin' }]), 'admin'));
    assert.ok(!hasRoleSomewhere(access([]), 'viewer'));
  });

  it('orders the roles viewer < operator < admin', () => {
    assert.ok(roleAtLeast('admin', 'viewer') && roleAtLeast('operator', 'operator') && !roleAtLeast('viewer', 'operator') && !roleAtLeast('operator', 'admin'));
  });
});
