package io.vhdfs.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.domain.PageSet;
import org.jclouds.blobstore.domain.StorageMetadata;
import org.jclouds.blobstore.options.ListContainerOptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real object store for tests (issue 15): an S3 server (s3proxy, in memory) running in this JVM
 * on a free port of 127.0.0.1 and no other address, one bucket in it, and the AWS NIO provider
 * ({@code s3x:} paths) as the client, so images are read from S3 by the same code a user runs.
 *
 * <p>Register it on a test class as {@code @RegisterExtension static final S3TestBed s3 = new
 * S3TestBed();}: the server starts before the class's first test and stops after its last. Put
 * images with {@link #put}, {@link #putVhd}, {@link #putVhdx} or {@link #putChain} (the last three
 * made by qemu-img, so a test without QEMU is skipped, or fails where peers are required), and
 * open them through the returned S3 paths. {@link #requests()} counts what the server served.
 *
 * <p>The AWS SDK is configured through system properties, set here for the whole JVM (the test
 * bed is the only S3 client in it): the endpoint protocol ({@code http}), the region, the keys
 * (so an {@code s3x:} URI without them, as {@code Path.toUri()} gives, reaches the same bucket),
 * no EC2 metadata lookups (nothing may leave the machine), and checksums only where an operation
 * requires them: s3proxy 2.6.0 answers the SDK's default checksum headers with 501 Not
 * Implemented. It is also told to ignore headers it does not know, as S3 itself knows them: the
 * batch delete the AWS NIO provider sends always carries a checksum header, and refused, it would
 * leave behind every object a test deletes.
 */
public final class S3TestBed implements BeforeAllCallback, AfterAllCallback {
  /** The access key the server accepts (its signatures are checked: AWS v2 or v4). */
  public static final String ACCESS_KEY = "vhdfs-test";
  /** The secret key belonging to {@link #ACCESS_KEY}. */
  public static final String SECRET_KEY = "vhdfs-test-secret";
  /** The one bucket images go into. */
  public static final String BUCKET = "images";

  /** What the AWS SDK and the NIO provider need to talk to the local server. */
  static final Map<String, String> CLIENT_PROPERTIES = Map.of(
      "aws.responseChecksumValidation", "WHEN_REQUIRED",
      "aws.requestChecksumCalculation", "WHEN_REQUIRED",
      "aws.region", "us-east-1",
      "aws.disableEc2Metadata", "true",
      "s3.spi.endpoint-protocol", "http",
      "aws.accessKeyId", ACCESS_KEY,
      "aws.secretAccessKey", SECRET_KEY,
      // The provider's channel fetches aligned fragments of its own (5 MiB by default); 8 MiB,
      // as the README advises, makes each GET the 8 MiB that vhdfs's read-ahead asks for.
      "s3.spi.read.max-fragment-size", Integer.toString(8 << 20));

  private final S3Requests requests = new S3Requests();
  private final AtomicInteger names = new AtomicInteger();
  private BlobStoreContext context;
  private S3Proxy proxy;
  private FileSystem bucket;
  private Path scratch;

  /** A test bed that starts when the class it is registered on starts. */
  public S3TestBed() {}

  /** Starts the server outside JUnit (a benchmark's main); {@link #close} stops it. */
  public static S3TestBed started() throws Exception {
    S3TestBed bed = new S3TestBed();
    bed.start();
    return bed;
  }

  /** Stops a test bed made by {@link #started}. */
  public void close() throws Exception {
    stop();
  }

  @Override
  public void beforeAll(ExtensionContext unused) throws Exception {
    start();
  }

  @Override
  public void afterAll(ExtensionContext unused) throws Exception {
    stop();
  }

  private void start() throws Exception {
    CLIENT_PROPERTIES.forEach(System::setProperty);
    context = ContextBuilder.newBuilder("transient").credentials(ACCESS_KEY, SECRET_KEY)
        .build(BlobStoreContext.class);
    BlobStore store = context.getBlobStore();
    store.createContainerInLocation(null, BUCKET);
    proxy = S3Proxy.builder()
        .blobStore(new CountingBlobStore(store, requests))
        .endpoint(URI.create("http://127.0.0.1:0"))
        .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
        .ignoreUnknownHeaders(true)
        .build();
    proxy.start();
    // Its port is known once Jetty has started, which start() does not always wait for.
    for (String state = proxy.getState(); !state.equals("STARTED"); state = proxy.getState()) {
      if (state.equals("FAILED") || state.equals("STOPPED")) {
        throw new IllegalStateException("the S3 server did not start: " + state);
      }
      Thread.sleep(5);
    }
    // Path.of, not newFileSystem: the provider's newFileSystem creates the bucket, with ACL
    // headers s3proxy does not implement.
    bucket = Path.of(bucketUri()).getFileSystem();
    scratch = Files.createTempDirectory("vhdfs-s3-");
  }

  private void stop() throws Exception {
    try {
      if (bucket != null) {
        bucket.close();
      }
    } finally {
      try {
        if (proxy != null) {
          proxy.stop();
        }
      } finally {
        if (context != null) {
          context.close();
        }
        deleteTree(scratch);
      }
    }
  }

  /** {@code s3x://127.0.0.1:port/bucket}: the bucket at its endpoint. */
  public URI bucketUri() {
    return URI.create("s3x://127.0.0.1:" + proxy.getPort() + "/" + BUCKET);
  }

  /** The {@code s3x:} URI of an object of the bucket. */
  public URI uri(String key) {
    return URI.create(bucketUri() + "/" + key);
  }

  /** The S3 path of an object of the bucket (the object need not exist). */
  public Path path(String key) {
    return bucket.getPath("/" + key);
  }

  /** The bucket's file system (the AWS NIO provider's), open while the test class runs. */
  public FileSystem bucket() {
    return bucket;
  }

  /** What the server served; {@link S3Requests#clear()} before what a test measures. */
  public S3Requests requests() {
    return requests;
  }

  /** The keys of the bucket's objects, asked of the server's store directly (not counted). */
  public Set<String> keys() {
    Set<String> keys = new TreeSet<>();
    ListContainerOptions options = ListContainerOptions.Builder.recursive();
    PageSet<? extends StorageMetadata> page;
    do {
      page = context.getBlobStore().list(BUCKET, options);
      for (StorageMetadata m : page) {
        keys.add(m.getName());
      }
      options = ListContainerOptions.Builder.recursive().afterMarker(
          page.getNextMarker() == null ? "" : page.getNextMarker());
    } while (page.getNextMarker() != null);
    return keys;
  }

  /**
   * Uploads a local file as object {@code key}, straight into the server's store (no request is
   * counted), and returns its S3 path.
   */
  public Path put(Path file, String key) throws IOException {
    BlobStore store = context.getBlobStore();
    store.putBlob(BUCKET, store.blobBuilder(key).payload(file.toFile())
        .contentLength(Files.size(file)).build());
    return path(key);
  }

  /**
   * A VHD whose disk is exactly {@code content}, made by {@code qemu-img convert -O vpc} with
   * {@code subformat} ({@code fixed} or {@code dynamic}; {@code force_size} keeps the size to the
   * byte), uploaded under a new key; returns its S3 path.
   */
  public Path putVhd(byte[] content, String subformat) throws IOException {
    QemuTools qemu = QemuTools.require();
    Path raw = rawFile(content);
    Path image = scratchFile(subformat + ".vhd");
    qemu.qemuImg("convert", "-f", "raw", "-O", "vpc", "-o", "subformat=" + subformat
        + ",force_size=on", raw.toString(), image.toString());
    Files.delete(raw);
    return putAndDelete(image);
  }

  /**
   * A dynamic VHDX whose disk is exactly {@code content}, made by {@code qemu-img convert -O
   * vhdx -o options} (say {@code block_size=1M}), uploaded under a new key; returns its S3 path.
   */
  public Path putVhdx(byte[] content, String options) throws IOException {
    VhdxTools vhdx = VhdxTools.require();
    Path raw = rawFile(content);
    Path image = scratchFile("dynamic.vhdx");
    vhdx.convertFromRaw(raw, image, options);
    Files.delete(raw);
    return putAndDelete(image);
  }

  /**
   * A three-level chain in one folder of the bucket: a dynamic base that qemu-img made and
   * qemu-io wrote, and two differencing children made and written through the vhd provider
   * (qemu-img cannot create vpc children) with their parents named relative to them. Each level
   * writes {@code size / 4} random bytes at its own offset, overlapping the level below.
   *
   * @param size the virtual size, a multiple of 4 MiB
   * @param seed the seed of the bytes the children write
   */
  public S3Chain putChain(long size, long seed) throws IOException {
    if (size % (4 << 20) != 0) {
      throw new IllegalArgumentException("size must be a multiple of 4 MiB: " + size);
    }
    QemuTools qemu = QemuTools.require();
    Path dir = Files.createDirectory(scratch.resolve("chain-" + names.incrementAndGet()));
    Path base = dir.resolve("base.vhd");
    Path middle = dir.resolve("middle.vhd");
    Path top = dir.resolve("top.vhd");
    byte[] disk = new byte[Math.toIntExact(size)];
    int quarter = disk.length / 4;
    qemu.create(base, size, "subformat=dynamic,force_size=on");
    qemu.write(base, List.of(new QemuTools.Write(0x5a, 0, 2L * quarter)));
    Arrays.fill(disk, 0, 2 * quarter, (byte) 0x5a);
    Chains.createChild(middle, "base.vhd", null);
    byte[] middleBytes = Chains.randomBytes(quarter, seed);
    Chains.write(middle, quarter + 512, middleBytes);
    System.arraycopy(middleBytes, 0, disk, quarter + 512, quarter);
    Chains.createChild(top, "middle.vhd", null);
    byte[] topBytes = Chains.randomBytes(quarter, seed + 1);
    Chains.write(top, 2L * quarter - 4096, topBytes);
    System.arraycopy(topBytes, 0, disk, 2 * quarter - 4096, quarter);
    String folder = dir.getFileName().toString();
    S3Chain chain = new S3Chain(put(base, folder + "/base.vhd"),
        put(middle, folder + "/middle.vhd"), put(top, folder + "/top.vhd"), disk);
    deleteTree(dir);
    return chain;
  }

  /**
   * A chain in S3, base first.
   *
   * @param topDisk the bytes the top's disk shows
   */
  public record S3Chain(Path base, Path middle, Path top, byte[] topDisk) {}

  private Path rawFile(byte[] content) throws IOException {
    Path raw = scratchFile("content.raw");
    Files.write(raw, content);
    return raw;
  }

  private Path scratchFile(String name) {
    return scratch.resolve(names.incrementAndGet() + "-" + name);
  }

  private Path putAndDelete(Path image) throws IOException {
    Path uploaded = put(image, image.getFileName().toString());
    Files.delete(image);
    return uploaded;
  }

  private static void deleteTree(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not delete the test bed's scratch files", e);
    }
  }
}
