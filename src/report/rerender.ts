// STUB — replaced by the reports work (issue 6).
export async function rerenderCommand(_dir: string, _flags: Record<string, unknown>): Promise<number> {
  throw new Error('report not implemented yet');
}
