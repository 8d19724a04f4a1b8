package io.vhdfs.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Images of formats vhdfs does not open, told by their signatures so that the refusal can name
 * them: a qcow2 file handed over by mistake should not read as "no footer". QEMU's own magic
 * numbers: qcow2 {@code QFI\xfb} at 0; VMDK {@code KDMV} at 0 (sparse extent) or a
 * {@code # Disk DescriptorFile} text; VDI the {@code 0xbeda107f} signature at 0x40 (after its
 * {@code <<< Oracle VM VirtualBox Disk Image >>>} banner).
 */
final class ForeignImages {
  private static final int PROBED = 0x44;

  private ForeignImages() {}

  /** The name of the foreign format {@code host} holds, or {@code null} for none known. */
  static String nameOf(HostFile host) throws IOException {
    long size = host.size();
    if (size < 4) {
      return null;
    }
    ByteBuffer b = ByteBuffer.allocate((int) Math.min(PROBED, size));
    host.readFully(b, 0);
    byte[] head = b.array();
    if (startsWith(head, new byte[] {'Q', 'F', 'I', (byte) 0xfb})) {
      return "qcow2";
    }
    if (startsWith(head, "KDMV".getBytes(StandardCharsets.US_ASCII))
        || startsWith(head, "# Disk DescriptorFile".getBytes(StandardCharsets.US_ASCII))) {
      return "VMDK";
    }
    if (head.length >= 0x44 && (head[0x40] & 0xFF) == 0x7f && (head[0x41] & 0xFF) == 0x10
        && (head[0x42] & 0xFF) == 0xda && (head[0x43] & 0xFF) == 0xbe) {
      return "VDI";
    }
    return null;
  }

  private static boolean startsWith(byte[] b, byte[] prefix) {
    if (b.length < prefix.length) {
      return false;
    }
    for (int i = 0; i < prefix.length; i++) {
      if (b[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }
}
