import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';

function check(value: unknown): number | string | boolean {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  // A GraphQLError keeps its message and code through graphql-js's input coercion (other errors become INTERNAL).
  throw new GraphQLError('An actual value is a number (a regression target, or a numeric class) or a class label (a string or a boolean).', {
    extensions: { code: 'BAD_USER_INPUT' },
  });
}

function literal(ast: ValueNode): number | string | boolean {
  switch (ast.kind) {
    case Kind.INT:
    case Kind.FLOAT:
      return check(Number(ast.value));
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    default:
      return check(undefined);
  }
}

/** The observed outcome of a prediction: a number, or a class label (string or boolean). */
export const ActualValueScalar = new GraphQLScalarType<number | string | boolean, number | string | boolean>({
  name: 'ActualValue',
  description: 'An observed outcome: a number (regression, or a numeric class; 1 and "1" are the same label) or a class label (a string or a boolean).',
  serialize: check,
  parseValue: check,
  parseLiteral: literal,
});
