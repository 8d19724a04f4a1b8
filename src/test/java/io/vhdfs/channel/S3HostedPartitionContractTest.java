package io.vhdfs.channel;

import io.vhdfs.testing.S3TestBed;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The read-only channel contract on a partition of an image in S3: logical partition 5 of a
 * dynamic VHD that qemu-img made, starting inside a block, between bytes the tests must never see.
 */
final class S3HostedPartitionContractTest extends S3HostedImageContract {
  @RegisterExtension static final S3TestBed S3 = new S3TestBed();

  @Override
  S3TestBed s3() {
    return S3;
  }

  @Override
  Path putImage(byte[] content) throws IOException {
    return S3.putVhd(PartitionContractSupport.disk(content, false), "dynamic");
  }

  @Override
  String entry() {
    return "/p5";
  }
}
