// storage/fs-native-extensions.d.ts: the part of fs-native-extensions (no types of its own) that
// storage/file-lock.ts uses.
declare module 'fs-native-extensions' {
  /**
   * Locks bytes offset .. offset + length of fd's open file description (length 0: to the end and
   * beyond), exclusive unless options.shared, without waiting: false when another description
   * holds a conflicting lock. Linux: fcntl F_OFD_SETLK; macOS: flock; Windows: LockFileEx.
   */
  function tryLock(fd: number, offset?: number, length?: number, options?: { shared?: boolean }): boolean;
  function unlock(fd: number, offset?: number, length?: number): void;
  const nativeFs: { tryLock: typeof tryLock; unlock: typeof unlock };
  export default nativeFs;
}
