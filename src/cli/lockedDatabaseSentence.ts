/**
 * What an operator command says when the app has the embedded database open (issue 12b's
 * directory lock refused it): only one process may open a PGlite directory, and the running
 * app already does the work these commands exist for, by itself. So the sentence says what
 * the app does meanwhile and how to run the command anyway.
 */
const ALREADY_DONE_BY_THE_APP: Record<string, string> = {
  'storage:sync':
    ' The running app moves waiting images to S3 by itself, every RESYNC_INTERVAL_SECONDS and as soon as S3 answers again; /healthz shows how many are waiting. To run a pass by hand,',
  'images:regenerate': ' The app regenerates outdated images by itself after an upgrade. To run it by hand now,',
  'storage:gc': ' The app runs storage:gc by itself every STORAGE_GC_EVERY_HOURS. To run it by hand now,',
};

export function lockedDatabaseSentence(command: string, dataDir: string, holderPid: number): string {
  const meanwhile = ALREADY_DONE_BY_THE_APP[command] ?? '';
  return (
    `${command}: the app (pid ${holderPid}) has the embedded database in ${dataDir} open, and only one process may.` +
    `${meanwhile}${meanwhile ? ' stop' : ' Stop'} the app (Ctrl-C) and run \`npm run ${command}\` again.`
  );
}
