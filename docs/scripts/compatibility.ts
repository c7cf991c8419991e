import type { GeneratedPage } from './page.ts';

export async function generateCompatibilityTable(): Promise<GeneratedPage[]> {
  return [];
}
