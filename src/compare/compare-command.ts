// STUB — replaced by the compare work (issue 6).
export async function runCompareCommand(_flags: Record<string, unknown>): Promise<number> {
  throw new Error('compare not implemented yet');
}
