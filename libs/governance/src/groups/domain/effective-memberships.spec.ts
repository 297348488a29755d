import type { ProjectRole } from '../../domain/roles';
import { effectiveMemberships } from './effective-memberships';

const P = 'p-1';
const Q = 'q-2';
const R = 'r-3';

describe('effectiveMemberships', () => {
  it('is the direct memberships when the user is in no group', () => {
    const direct = new Map<string, ProjectRole>([
      [P, 'viewer'],
      [Q, 'admin'],
    ]);
    const merged = effectiveMemberships(direct, []);
    expect([...merged]).toEqual([
      [P, 'viewer'],
      [Q, 'admin'],
    ]);
    // A new map: changing it does not change the input.
    merged.set(R, 'admin');
    expect(direct.has(R)).toBe(false);
  });

  it('adds the projects only a group gives a role in', () => {
    expect(effectiveMemberships(new Map(), [{ projectId: P, role: 'data-scientist' }])).toEqual(new Map([[P, 'data-scientist']]));
  });

  it.each<[ProjectRole, ProjectRole, ProjectRole]>([
    ['viewer', 'data-scientist', 'data-scientist'],
    ['data-scientist', 'ml-engineer', 'ml-engineer'],
    ['ml-engineer', 'admin', 'admin'],
    ['admin', 'viewer', 'admin'],
    ['ml-engineer', 'data-scientist', 'ml-engineer'],
    ['viewer', 'viewer', 'viewer'],
  ])('direct %s and group %s give %s (the higher; a group never lowers a role)', (direct, viaGroup, expected) => {
    expect(effectiveMemberships(new Map([[P, direct]]), [{ projectId: P, role: viaGroup }]).get(P)).toBe(expected);
  });

  it('takes the highest of several groups in one project, whatever their order', () => {
    const grants: { projectId: string; role: ProjectRole }[] = [
      { projectId: P, role: 'viewer' },
      { projectId: P, role: 'ml-engineer' },
      { projectId: Q, role: 'viewer' },
      { projectId: P, role: 'data-scientist' },
    ];
    expect(effectiveMemberships(new Map(), grants)).toEqual(
      new Map([
        [P, 'ml-engineer'],
        [Q, 'viewer'],
      ]),
    );
    expect(effectiveMemberships(new Map(), [...grants].reverse()).get(P)).toBe('ml-engineer');
  });

  it('ignores a role that is not a project role (fails closed)', () => {
    const bad = [{ projectId: P, role: 'owner' as ProjectRole }, { projectId: Q, role: 'platform-admin' as ProjectRole }];
    expect(effectiveMemberships(new Map([[P, 'viewer']]), bad)).toEqual(new Map([[P, 'viewer']]));
  });
});
