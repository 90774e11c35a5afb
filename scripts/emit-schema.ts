import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { buildRealnameSchema, printRealnameSchema } from '../src/graphql/schema.js';

writeFileSync(new URL('../schema.graphql', import.meta.url), printRealnameSchema(await buildRealnameSchema()));
console.log('schema.graphql written');
