import { buildSchema, Kind, parse, validate, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { measureOperation, queryLimitsRule, type QueryLimits } from './query-limits';

const DEFAULT_PAGE = 20;

/** Measures the first operation of a document, with its fragments expanded. */
function measure(source: string, variables: Record<string, unknown> = {}, defaultPageSize = DEFAULT_PAGE) {
  const doc = parse(source);
  const fragments: Record<string, FragmentDefinitionNode> = {};
  let operation: OperationDefinitionNode | undefined;
  for (const def of doc.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;
    if (def.kind === Kind.OPERATION_DEFINITION) operation ??= def;
  }
  return measureOperation(operation!, fragments, variables, defaultPageSize);
}

describe('measureOperation', () => {
  describe('depth', () => {
    it('counts nested selections, the deepest branch winning', () => {
      expect(measure('{ me { id } }').depth).toBe(2);
      expect(measure('{ me { id } models { nodes { versions { nodes { lineage { metrics { key } } } } } } }').depth).toBe(7);
    });

    it('counts fields inside named fragments as if written inline', () => {
      const inline = measure('{ models { nodes { versions { nodes { id } } } } }');
      const viaFragments = measure(`
        query { models { ...M } }
        fragment M on ModelConnection { nodes { versions { ...V } } }
        fragment V on ModelVersionConnection { nodes { id } }`);
      expect(viaFragments.depth).toBe(5);
      expect(viaFragments).toEqual(inline);
    });

    it('counts inline fragments without adding a level', () => {
      expect(measure('{ me { ... on User { id ... { name } } } }').depth).toBe(2);
    });

    it('follows a fragment used inside another fragment, and stops at a cycle', () => {
      expect(measure('query { a { ...A } } fragment A on T { b { ...B } } fragment B on T { c { d } }').depth).toBe(4);
      // A cycle is graphql-js's to report; measuring it must terminate.
      expect(measure('query { a { ...A } } fragment A on T { b { ...A } }').depth).toBe(2);
    });

    it('does not count __typename but does count introspection roots', () => {
      expect(measure('{ me { __typename } }').depth).toBe(1);
      expect(measure('{ __schema { types { name } } }').depth).toBe(3);
    });
  });

  describe('cost', () => {
    it('is one per field at the top level', () => {
      expect(measure('{ me { id name } }').cost).toBe(3);
    });

    it('multiplies the fields under a paged list by its first', () => {
      // projects 1 + nodes 5 + id 5 + name 5
      expect(measure('{ projects(first: 5) { nodes { id name } } }').cost).toBe(16);
    });

    it("does not multiply a connection's nodes twice", () => {
      // models 1 + nodes 100 + 10 fields x 100: a full page of a flat list stays far below the default maximum (20000).
      const fields = 'id name description tags createdAt updatedAt ownerId projectId latestVersion pageInfo';
      expect(measure(`{ models(first: 100) { nodes { ${fields} } } }`).cost).toBe(1 + 100 + 10 * 100);
    });

    it('multiplies nested paged lists together', () => {
      // models 1, nodes 10, versions 10, nodes 10*50, id 10*50
      expect(measure('{ models(first: 10) { nodes { versions(first: 50) { nodes { id } } } } }').cost).toBe(1 + 10 + 10 + 500 + 500);
    });

    it('assumes the default page size for a plural list called without first', () => {
      expect(measure('{ models { nodes { id } } }', {}, 20).cost).toBe(1 + 20 + 20);
      expect(measure('{ models { nodes { id } } }', {}, 7).cost).toBe(1 + 7 + 7);
      // A singular object field multiplies by one.
      expect(measure('{ me { id } }', {}, 7).cost).toBe(2);
    });

    it('reads first from variables', () => {
      const q = 'query($n: Int) { models(first: $n) { nodes { versions(first: $n) { nodes { id } } } } }';
      expect(measure(q, { n: 100 }).cost).toBe(1 + 100 + 100 + 10_000 + 10_000);
      expect(measure(q, { n: 2 }).cost).toBe(1 + 2 + 2 + 4 + 4);
    });

    it("uses a variable's default when the request leaves it out", () => {
      const q = 'query($n: Int = 100) { models(first: $n) { nodes { versions(first: $n) { nodes { id } } } } }';
      expect(measure(q, {}).cost).toBe(1 + 100 + 100 + 10_000 + 10_000);
      expect(measure(q, { n: 3 }).cost).toBe(1 + 3 + 3 + 9 + 9);
    });

    it('counts a fragment once per place it is spread', () => {
      const q = `query { a: projects(first: 10) { ...P } b: projects(first: 10) { ...P } }
        fragment P on ProjectConnection { nodes { id name } }`;
      expect(measure(q).cost).toBe(2 * (1 + 10 + 20));
    });

    it('applies the enclosing page size inside inline fragments', () => {
      expect(measure('{ projects(first: 4) { nodes { ... on Project { id name } } } }').cost).toBe(1 + 4 + 8);
    });
  });

  describe('aliases', () => {
    it('counts every aliased field, in fragments and inline fragments too', () => {
      const q = `query { a: me { id } b: me { x: id } ...F ... on Query { c: me { id } } }
        fragment F on Query { d: me { id } }`;
      expect(measure(q).aliases).toBe(5);
    });

    it('is zero without aliases', () => {
      expect(measure('{ me { id name } }').aliases).toBe(0);
    });
  });
});

describe('queryLimitsRule', () => {
  const schema = buildSchema(`
    type Query { me: User! projects(first: Int, after: String): ProjectConnection! }
    type User { id: ID! name: String! bestFriend: User friends(first: Int): UserConnection! }
    type UserConnection { nodes: [User!]! }
    type Project { id: ID! name: String! owner: User! }
    type ProjectConnection { nodes: [Project!]! }
  `);
  const limits: QueryLimits = { maxDepth: 4, maxCost: 100, maxAliases: 3, defaultPageSize: 5 };
  const check = (source: string, variables: Record<string, unknown> = {}) =>
    validate(schema, parse(source), [queryLimitsRule(limits, () => variables)]).map((e) => ({ code: e.extensions['code'], message: e.message }));

  it('accepts an operation at every limit', () => {
    // depth 4; aliases 3; cost 1 + 4 + 4 + 4 = 13
    expect(check('query Ok { a: projects(first: 4) { nodes { b: owner { c: name } } } }')).toEqual([]);
    expect(check('{ me { bestFriend { bestFriend { id } } } }')).toEqual([]);
  });

  it('refuses an operation one level too deep, naming it and the maximum', () => {
    expect(check('query Deep { me { friends { nodes { friends { nodes { id } } } } } }')).toEqual([
      { code: 'QUERY_TOO_DEEP', message: expect.stringMatching(/^Deep is 6 levels deep; the maximum is 4\./) },
    ]);
    expect(check('query Five { me { bestFriend { bestFriend { bestFriend { id } } } } }')).toEqual([
      { code: 'QUERY_TOO_DEEP', message: expect.stringMatching(/^Five is 5 levels deep; the maximum is 4\./) },
    ]);
  });

  it('refuses an operation over the cost limit, also when first comes from a variable', () => {
    const q = 'query Costly($n: Int) { projects(first: $n) { nodes { id name } } }';
    expect(check(q, { n: 33 })).toEqual([]); // 1 + 33 * 3 = 100
    expect(check(q, { n: 34 })).toEqual([{ code: 'QUERY_TOO_COSTLY', message: expect.stringMatching(/^Costly has an estimated cost of 103; the maximum is 100\./) }]);
  });

  it('refuses too many aliases', () => {
    expect(check('{ a: me { id } b: me { id } c: me { id } d: me { id } }')).toEqual([
      { code: 'TOO_MANY_ALIASES', message: 'anonymous operation uses 4 aliases; the maximum is 3.' },
    ]);
  });

  it('reports every limit an operation breaks', () => {
    const q = 'query All { a: projects(first: 50) { b: nodes { c: owner { d: friends { nodes { id } } } } } }';
    expect(check(q).map((e) => e.code)).toEqual(['QUERY_TOO_DEEP', 'QUERY_TOO_COSTLY', 'TOO_MANY_ALIASES']);
  });
});
