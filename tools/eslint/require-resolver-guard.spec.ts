import { RuleTester } from 'eslint';
import * as tsParser from '@typescript-eslint/parser';
const rule = require('./require-resolver-guard.cjs');

RuleTester.describe = describe;
RuleTester.it = it;

const tester = new RuleTester({ languageOptions: { parser: tsParser, parserOptions: { ecmaVersion: 2022, sourceType: 'module' } } });

tester.run('require-resolver-guard', rule, {
  valid: [
    { code: `class R { @Query(() => X) @Can('read', 'Model') a() {} }` },
    { code: `class R { @Mutation(() => X) @Authenticated() b() {} }` },
    { code: `class R { @Query(() => X) @Public() c() {} }` },
    { code: `class R { @ResolveField(() => X) @Can('read', 'ModelVersion') d() {} }` },
    { code: `@Public() class R { @Query(() => X) e() {} }` },
    { code: `class R { helper() {} }` },
  ],
  invalid: [
    { code: `class R { @Query(() => X) a() {} }`, errors: [{ messageId: 'missing' }] },
    { code: `class R { @Mutation(() => X) @Args() b() {} }`, errors: [{ messageId: 'missing' }] },
    { code: `class R { @ResolveField() c() {} }`, errors: [{ messageId: 'missing' }] },
  ],
});
