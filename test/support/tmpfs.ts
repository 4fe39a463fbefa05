import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A small disk of its own (tmpfs; the tests run as root), to fill up. */
export interface TmpfsDisk {
  readonly dir: string;
  /** Makes room, as when space returns: the files stay. */
  resize(size: string): void;
  readOnly(readOnly: boolean): void;
  /** Unmounts it and removes its mount point. */
  remove(): void;
}

export function tmpfsDisk(size: string): TmpfsDisk {
  const dir = mkdtempSync(join(tmpdir(), "tmpfs-"));
  mountCommand(["mount", "-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir]);
  return {
    dir,
    resize: (to) => mountCommand(["mount", "-o", `remount,size=${to}`, dir]),
    readOnly: (on) => mountCommand(["mount", "-o", `remount,${on ? "ro" : "rw"}`, dir]),
    remove() {
      mountCommand(["umount", dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function mountCommand(command: string[]): void {
  const run = Bun.spawnSync(command);
  if (run.exitCode !== 0) throw new Error(`${command.join(" ")}: ${run.stderr.toString().trim()}`);
}
