package io.vhdfs.channel;

import io.vhdfs.testing.S3TestBed;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The read-only channel contract on a fixed VHD that qemu-img made, read from S3. */
final class S3HostedFixedVhdContractTest extends S3HostedImageContract {
  @RegisterExtension static final S3TestBed S3 = new S3TestBed();

  @Override
  S3TestBed s3() {
    return S3;
  }

  @Override
  Path putImage(byte[] content) throws IOException {
    return S3.putVhd(content, "fixed");
  }
}
