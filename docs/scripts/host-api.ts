import type { GeneratedPage } from './page.ts';

export async function generateHostApiReference(): Promise<GeneratedPage[]> {
  return [];
}
