import { describe, expect, it } from 'vitest';
import { loadInferenceConfig } from './config.js';
import { InferenceStreamError } from './errors.js';

describe('loadInferenceConfig', () => {
  it('builds the "openai" provider from the environment', () => {
    expect(
      loadInferenceConfig(undefined, {
        OSR_HOST_OPENAI_BASE_URL: ' http://127.0.0.1:11434/v1/ ',
        OSR_HOST_OPENAI_API_KEY: 'sk-1',
        OSR_HOST_OPENAI_MODELS: 'qwen3, llama3 ,,',
      }),
    ).toEqual({ providers: [{ name: 'openai', baseURL: 'http://127.0.0.1:11434/v1', apiKey: 'sk-1', models: ['qwen3', 'llama3'] }] });
    expect(loadInferenceConfig(undefined, {})).toEqual({ providers: [] });
  });

  it('reads a config object and appends the environment provider', () => {
    const config = loadInferenceConfig(
      {
        defaultModel: 'small',
        localProvider: 'ollama',
        providers: [{ name: 'ollama', baseURL: 'http://127.0.0.1:11434/v1', models: ['small'], embeddingModels: ['nomic'] }],
      },
      { OSR_HOST_OPENAI_BASE_URL: 'https://api.example.com/v1' },
    );
    expect(config).toEqual({
      defaultModel: 'small',
      localProvider: 'ollama',
      providers: [
        { name: 'ollama', baseURL: 'http://127.0.0.1:11434/v1', models: ['small'], embeddingModels: ['nomic'] },
        { name: 'openai', baseURL: 'https://api.example.com/v1' },
      ],
    });
  });

  it.each([
    ['a non-object', 42, /must be an object/],
    ['providers that are not an array', { providers: {} }, /"providers" must be an array/],
    ['a provider without a name', { providers: [{ baseURL: 'http://x' }] }, /providers\[0\]\.name/],
    ['a bad URL', { providers: [{ name: 'a', baseURL: 'not a url' }] }, /not a valid URL/],
    ['a non-http URL', { providers: [{ name: 'a', baseURL: 'file:///tmp' }] }, /http or https/],
    ['a bad model list', { providers: [{ name: 'a', baseURL: 'http://x', models: ['ok', ''] }] }, /models must be an array/],
    ['duplicate names', { providers: [{ name: 'a', baseURL: 'http://x' }, { name: 'a', baseURL: 'http://y' }] }, /used twice/],
    ['an unknown localProvider', { providers: [], localProvider: 'ghost' }, /not a configured provider/],
    ['an empty defaultModel', { providers: [], defaultModel: ' ' }, /"defaultModel" must be a non-empty string/],
  ])('throws invalid_config for %s', (_name, config, message) => {
    const attempt = () => loadInferenceConfig(config, {});
    expect(attempt).toThrow(InferenceStreamError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (error) {
      expect((error as InferenceStreamError).code).toBe('invalid_config');
    }
  });

  it('refuses an environment provider whose name the config already uses', () => {
    expect(() =>
      loadInferenceConfig({ providers: [{ name: 'openai', baseURL: 'http://x' }] }, { OSR_HOST_OPENAI_BASE_URL: 'http://y' }),
    ).toThrow(/already has one/);
  });
});
