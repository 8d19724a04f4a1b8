/**
 * vhdfs: a {@code java.nio.file} provider for Microsoft VHD images under the {@code vhd:} scheme.
 *
 * <p>See {@link io.vhdfs.nio.VhdFileSystemProvider} for the URI form, the env keys and the
 * deviations from the NIO contract.
 */
module io.vhdfs {
  exports io.vhdfs;
  exports io.vhdfs.nio;

  provides java.nio.file.spi.FileSystemProvider with io.vhdfs.nio.VhdFileSystemProvider;
  provides java.nio.file.spi.FileTypeDetector with io.vhdfs.nio.VhdFileTypeDetector;
}
