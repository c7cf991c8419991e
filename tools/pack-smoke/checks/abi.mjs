// The contract is plain data: a consumer reads a slot's rules and builds an envelope without loading native code.
import assert from 'node:assert/strict';
import { ENVELOPE_CODES, errorEnvelope, HOST_SLOTS, hostSlot, parseUuid } from '@osr-host/abi';

assert.equal(HOST_SLOTS.at(-1).name, 'free_string');
assert.deepEqual(hostSlot('config_set').secretArgs, [1]);
assert.equal(JSON.stringify(errorEnvelope('database_busy', 'locked')), '{"error":"database_busy","message":"locked"}');
assert.equal(ENVELOPE_CODES.database_busy.insightsStatus, 503);
assert.equal(parseUuid('6b1f0e5c-2d4a-4f7b-9c3e-1a2b3c4d5e6f'), '6B1F0E5C-2D4A-4F7B-9C3E-1A2B3C4D5E6F');
console.log(`${HOST_SLOTS.length} slots and ${Object.keys(ENVELOPE_CODES).length} envelope codes read without native code`);
