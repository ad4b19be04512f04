// test/helpers/holding-file-system.ts: an in-memory file system (CrashableFileSystem) whose WAL
// fsyncs wait while held, so a test can look at what a server sends before a write is durable.
//   fs.hold()    later fsyncs wait (those already waiting keep waiting too)
//   fs.unhold()  they all go on
import { CrashableFileSystem, type WritableFile } from '../../storage/index.js';

export class HoldingFileSystem extends CrashableFileSystem {
  private release: (() => void) | undefined;
  private gate: Promise<void> = Promise.resolve();

  hold(): void {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }

  unhold(): void {
    this.release?.();
  }

  private wrap(file: WritableFile): WritableFile {
    const syncAsync = file.syncAsync.bind(file);
    file.syncAsync = async () => {
      await this.gate;
      await syncAsync();
    };
    return file;
  }

  override create(path: string): WritableFile {
    return this.wrap(super.create(path));
  }

  override openAppend(path: string): WritableFile {
    return this.wrap(super.openAppend(path));
  }
}
