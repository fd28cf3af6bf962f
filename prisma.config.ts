import { defineConfig } from 'prisma/config';
import { loadConfig } from './src/core/config.ts';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: loadConfig().databaseUrl },
});
