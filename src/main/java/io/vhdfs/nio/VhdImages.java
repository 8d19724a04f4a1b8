package io.vhdfs.nio;

import io.vhdfs.VhdEnv;
import io.vhdfs.disk.ChainCommit;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Operations on whole images, beside the file system view; the {@code vhd} command-line tool is a
 * shell over them.
 *
 * <table>
 * <caption>env keys the operations honour (constants in {@link VhdEnv})</caption>
 * <tr><th>key</th><th>meaning</th></tr>
 * <tr><td>{@value VhdEnv#PARENT_ROOT}</td><td>open no parent outside this directory</td></tr>
 * <tr><td>{@value VhdEnv#IGNORE_PARENT_ID}</td><td>accept a parent whose unique id differs from
 *   the one the child records</td></tr>
 * </table>
 */
public final class VhdImages {
  private VhdImages() {}

  /**
   * What {@link #commit} did.
   *
   * @param child the committed image
   * @param parent the real path of the parent it was committed into
   * @param bytesWritten bytes written into the parent: every sector the child holds
   * @param blocksRead allocated blocks of the child read
   */
  public record Commit(Path child, Path parent, long bytesWritten, long blocksRead) {}

  /**
   * Commits the differencing image {@code child} into its parent, the merge Hyper-V calls
   * Merge-VHD and vhd-util calls coalesce: every sector the child holds is written into the
   * parent, which afterwards reads as the chain did. The child is only read and is left as it was
   * (now redundant; deleting it is the caller's call). If interrupted, the parent is still a valid
   * image and the chain still reads as before, so the commit can be run again.
   *
   * <p>Other children of the same parent would see its bytes change under them: commit only into
   * a parent that has no other children. In this JVM, a child that is open is refused, and so is a
   * parent that is the parent of another open child.
   *
   * @param env {@value VhdEnv#PARENT_ROOT} and {@value VhdEnv#IGNORE_PARENT_ID}, as for opening
   * @throws io.vhdfs.VhdFormatException if the child or its chain is malformed, or its parent
   *     cannot be found
   * @throws java.nio.file.FileSystemException if the child is not a differencing image, is open,
   *     or holds data past the end of its parent, or the parent is in use
   * @throws java.nio.file.AccessDeniedException if the parent is not writable
   */
  public static Commit commit(Path child, Map<String, ?> env) throws IOException {
    FileSystemConfig config = FileSystemConfig.parse(env);
    ChainCommit.Result r = ChainCommit.commit(child, config.chainOptions());
    return new Commit(child, r.parent(), r.bytes(), r.blocks());
  }
}
