import type { GeneratedPage } from './page.ts';

export async function generatePackagePages(): Promise<GeneratedPage[]> {
  return [];
}
