import { describe, expectTypeOf, it } from 'vitest';
import type { HostApi, HostCallContext } from './host-api.js';

type Slot<Name extends keyof HostApi> = NonNullable<HostApi[Name]>;

// HostApi is derived from the descriptors' C signatures; `npm run typecheck` fails when a mapping drifts.
describe('HostApi', () => {
  it('types C strings as strings, NULL-able past the required ones, and ints as numbers', () => {
    expectTypeOf<Parameters<Slot<'log_structured'>>>().toEqualTypeOf<[HostCallContext, number, string, string | null]>();
    expectTypeOf<Parameters<Slot<'config_set'>>>().toEqualTypeOf<[HostCallContext, string, string]>();
    expectTypeOf<Parameters<Slot<'db_query'>>>().toEqualTypeOf<[HostCallContext, string, string | null]>();
    expectTypeOf<Parameters<Slot<'dispatch_add_issue'>>>().toEqualTypeOf<[HostCallContext, string | null, string | null]>();
    expectTypeOf<Parameters<Slot<'list_models'>>>().toEqualTypeOf<[HostCallContext]>();
  });

  it("gives complete_stream the plugin's on_chunk as a function and keeps user_data in C", () => {
    expectTypeOf<Parameters<Slot<'complete_stream'>>>().toEqualTypeOf<
      [HostCallContext, string, ((chunkJson: string) => Promise<void>) | null]
    >();
  });

  it('answers a string or null from string slots and nothing from void slots', () => {
    expectTypeOf<ReturnType<Slot<'config_get'>>>().toEqualTypeOf<string | null | Promise<string | null>>();
    expectTypeOf<ReturnType<Slot<'dispatch_cancel'>>>().toEqualTypeOf<void | Promise<void>>();
  });

  it('has no free_string: the native bridge serves it', () => {
    expectTypeOf<HostApi>().not.toHaveProperty('free_string');
  });
});
