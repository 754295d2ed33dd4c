// STUB — replaced by the harness work (issue 4).
export async function runStressCommand(_flags: Record<string, unknown>, _command: string[]): Promise<number> {
  throw new Error('stress not implemented yet');
}
