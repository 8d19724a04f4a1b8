package io.vhdfs.channel;

import io.vhdfs.testing.S3TestBed;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The read-only channel contract on a fixed VHD in S3 opened with {@code cacheSize=0}: every read
 * goes to the AWS NIO provider's own channel, whose interrupt handling differs from the JDK's (it
 * may end a read with an IOException and the thread's interrupt status cleared).
 */
final class S3HostedUncachedFixedVhdContractTest extends S3HostedImageContract {
  @RegisterExtension static final S3TestBed S3 = new S3TestBed();

  @Override
  S3TestBed s3() {
    return S3;
  }

  @Override
  Path putImage(byte[] content) throws IOException {
    return S3.putVhd(content, "fixed");
  }

  @Override
  Map<String, String> env() {
    return Map.of("accessMode", "readOnly", "cacheSize", "0");
  }
}
