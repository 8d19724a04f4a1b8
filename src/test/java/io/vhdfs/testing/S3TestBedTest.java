package io.vhdfs.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vhdfs.testing.S3Requests.Kind;
import io.vhdfs.testing.S3Requests.Request;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The object-store test bed: reachable on loopback only, and counting what it serves. */
final class S3TestBedTest {
  @RegisterExtension static final S3TestBed S3 = new S3TestBed();

  @TempDir Path dir;

  @Test
  void serverListensOnLoopbackOnly() throws IOException {
    int port = S3.bucketUri().getPort();
    try (Socket loopback = new Socket()) {
      loopback.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
    }
    List<InetAddress> others = new ArrayList<>();
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      for (InetAddress a : Collections.list(nic.getInetAddresses())) {
        if (!a.isLoopbackAddress() && a instanceof Inet4Address) {
          others.add(a);
        }
      }
    }
    Assumptions.assumeFalse(others.isEmpty(), "this machine has no address but loopback");
    for (InetAddress a : others) {
      try (Socket s = new Socket()) {
        assertThrows(ConnectException.class,
            () -> s.connect(new InetSocketAddress(a, port), 5_000),
            "the S3 server answers on " + a);
      }
    }
  }

  @Test
  void putObjectReadsBackThroughTheProviderAndIsNotCounted() throws IOException {
    byte[] bytes = Chains.randomBytes(300_000, 1);
    Path local = dir.resolve("object.bin");
    Files.write(local, bytes);
    S3.requests().clear();
    Path object = S3.put(local, "dir/object.bin");
    assertEquals(List.of(), S3.requests().all(), "the upload itself was counted");
    assertArrayEquals(bytes, Files.readAllBytes(object));
    assertEquals(S3.uri("dir/object.bin"), object.toUri());
  }

  @Test
  void rangedReadIsCountedAsAGetOfItsRange() throws IOException {
    // The provider's read unit, aligned: 8 MiB as the test bed sets it (5 MiB by default).
    int fragment = Integer.parseInt(S3TestBed.CLIENT_PROPERTIES.get(
        "s3.spi.read.max-fragment-size"));
    Path local = dir.resolve("ranged.bin");
    Files.write(local, Chains.randomBytes(fragment + 100_000, 2));
    Path object = S3.put(local, "ranged.bin");
    S3.requests().clear();
    try (SeekableByteChannel ch = Files.newByteChannel(object)) {
      ch.position(fragment + 1000);
      ch.read(ByteBuffer.allocate(10));
    }
    List<Request> gets = S3.requests().all().stream().filter(r -> r.kind() == Kind.GET)
        .toList();
    assertEquals(1, gets.size(), S3.requests().describe());
    assertEquals("ranged.bin", gets.get(0).key());
    assertEquals(fragment + "-" + (fragment + 99_999), gets.get(0).range());
    assertEquals(100_000, gets.get(0).rangeLength());
  }
}
