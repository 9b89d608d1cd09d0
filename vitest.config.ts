import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript source through the `keel-source` export
// condition, so `pnpm test` needs no build step.
const conditions = ['keel-source', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['keel-source'] } },
  test: {
    projects: ['packages/*', 'examples/*'].map((glob) => ({
      extends: true,
      test: { name: glob.split('/')[0], include: [`${glob}/{src,test}/**/*.test.ts`] },
    })),
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
