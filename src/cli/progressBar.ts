/**
 * A progress bar for long CLI work. On a terminal it redraws one line; in a log (CI, Render
 * shell piped to a file) it prints a line every 10% instead of thousands of carriage returns.
 */
export function createProgressBar(label: string, stream: NodeJS.WriteStream = process.stderr) {
  let lastDecile = -1;
  return {
    update(done: number, total: number, detail = ''): void {
      const fraction = total === 0 ? 1 : done / total;
      const percent = Math.floor(fraction * 100);
      if (stream.isTTY) {
        const width = 30;
        const filled = Math.round(fraction * width);
        stream.write(
          `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} (${percent}%) ${detail}`.padEnd(
            80,
          ),
        );
        if (done === total) stream.write('\n');
        return;
      }
      const decile = Math.floor(percent / 10);
      if (decile !== lastDecile || done === total) {
        lastDecile = decile;
        stream.write(`${label}: ${done}/${total} (${percent}%) ${detail}\n`);
      }
    },
  };
}
