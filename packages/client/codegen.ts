import type { CodegenConfig } from '@graphql-codegen/cli';

// Types come from the committed schema.graphql at every build, so a field or enum value added by
// anyone reaches the client without a step; a field the operations use that disappears fails the
// build. `npm run codegen` regenerates them alone.
const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['src/operations.ts', 'src/operator-operations.ts'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        // Strings, not DocumentNode: no graphql-js at run time, which keeps mini-program bundles small.
        documentMode: 'string',
        enumsAsTypes: true,
        useTypeImports: true,
        onlyOperationTypes: true,
        strictScalars: true,
        scalars: { DateTimeISO: 'string', ID: 'string', JSONObject: 'Record<string, unknown>' },
        emitLegacyCommonJSImports: false,
      },
    },
  },
};

export default config;
