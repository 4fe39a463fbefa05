const PALETTE_SIZE = 8;

/** A stable colour class per source, so one agent's bars look alike on every page. */
export function sourceClass(source: string): string {
  let hash = 0;
  for (let i = 0; i < source.length; i++) hash = (hash * 31 + source.charCodeAt(i)) >>> 0;
  return `s${hash % PALETTE_SIZE}`;
}
