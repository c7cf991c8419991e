import { defineConfig } from 'vitest/config';
import { packageTests } from '../../tools/vitest.preset.ts';

const preset = packageTests();
// The OpenTelemetry packages' "module" builds use extensionless imports that only bundlers resolve;
// under Node they must load through their "default" builds, as they do in production.
const withoutModule = (conditions: string[] | undefined) => conditions?.filter((condition) => condition !== 'module');

export default defineConfig({
  ...preset,
  resolve: { ...preset.resolve, conditions: withoutModule(preset.resolve?.conditions) },
  ssr: { ...preset.ssr, resolve: { ...preset.ssr?.resolve, conditions: withoutModule(preset.ssr?.resolve?.conditions) } },
});
