// STUB — defined by the harness work (issue 4): everything a run recorded that checks judge.
export interface RunObservations {
  [key: string]: unknown;
}
