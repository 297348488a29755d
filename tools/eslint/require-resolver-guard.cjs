// Every GraphQL operation and resolved field must say who may call it:
// @Public() (no token), @Authenticated() (any valid token, objects checked in
// the domain) or @Can(action, subject). The global AuthGuard enforces the
// token either way; this rule makes the intent explicit and reviewed.
const OPERATION_DECORATORS = new Set(['Query', 'Mutation', 'Subscription', 'ResolveField', 'ResolveReference']);
const ACCESS_DECORATORS = new Set(['Public', 'Authenticated', 'Can']);

function decoratorName(decorator) {
  const expr = decorator.expression;
  if (expr.type === 'CallExpression') return expr.callee.type === 'Identifier' ? expr.callee.name : null;
  return expr.type === 'Identifier' ? expr.name : null;
}

module.exports = {
  meta: {
    type: 'problem',
    docs: { description: 'GraphQL resolvers must be guarded (@Can/@Authenticated) or explicitly @Public' },
    schema: [],
    messages: {
      missing: 'GraphQL {{kind}} "{{name}}" needs an access decorator: @Can(action, subject), @Authenticated() or @Public().',
    },
  },
  create(context) {
    return {
      MethodDefinition(node) {
        const names = (node.decorators ?? []).map(decoratorName).filter(Boolean);
        const operation = names.find((n) => OPERATION_DECORATORS.has(n));
        if (!operation) return;
        const classAccess = (node.parent.parent.decorators ?? []).map(decoratorName).some((n) => ACCESS_DECORATORS.has(n));
        if (classAccess || names.some((n) => ACCESS_DECORATORS.has(n))) return;
        context.report({ node: node.key, messageId: 'missing', data: { kind: operation, name: node.key.name ?? '?' } });
      },
    };
  },
};
